import { describe, expect, it } from "vitest";
import { hostname } from "node:os";
import { holderIsDead, localPidOf } from "./takeover.js";

describe("holderIsDead", () => {
  const here = hostname();
  it("reads the pid of a worker id made on this host only", () => {
    expect(localPidOf(`${here}-4242-0a1b2c3d`)).toBe(4242);
    expect(localPidOf(`other-host-4242-0a1b2c3d`, "this-host")).toBeNull();
    expect(localPidOf(`${here}-custom-worker`)).toBeNull();
  });
  it("embedded: every other holder is dead, never this worker", () => {
    expect(holderIsDead("anyone", "me", true)).toBe(true);
    expect(holderIsDead("me", "me", true)).toBe(false);
  });
  it("PostgreSQL: only a holder on this host whose process is gone", () => {
    const alive = (pid: number) => pid === 1111;
    expect(holderIsDead(`${here}-2222-0a1b2c3d`, "me", false, alive)).toBe(true);
    expect(holderIsDead(`${here}-1111-0a1b2c3d`, "me", false, alive)).toBe(false);
    expect(holderIsDead(`elsewhere-${here}x-2222-0a1b2c3d`, "me", false, alive)).toBe(false);
    expect(holderIsDead(`${here}-${process.pid}-0a1b2c3d`, "me", false, () => false)).toBe(false);
    expect(holderIsDead("custom-id", "me", false, () => false)).toBe(false);
  });
});
