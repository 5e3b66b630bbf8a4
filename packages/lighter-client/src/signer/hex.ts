/** Hex helpers (lower-case, no 0x on output). */

/** Bytes to lower-case hex without 0x. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Hex (optional 0x) to bytes; throws RangeError on odd length or a non-hex digit. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new RangeError("invalid hex string");
  return new Uint8Array(Buffer.from(clean, "hex"));
}
