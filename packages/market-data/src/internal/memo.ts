/**
 * `memo[i]`, built by `build(i)` the first time it is asked for. The array is padded in
 * bounds first: a far index written on a short array would turn it into a slow sparse one.
 */
export function memoAt<T>(memo: Array<T | undefined>, i: number, build: (i: number) => T): T {
  while (memo.length <= i) memo.push(undefined);
  return (memo[i] ??= build(i));
}
