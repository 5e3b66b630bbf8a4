import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashToQuinticExtension } from "./poseidon2.js";
import type { Fp5 } from "./quintic.js";
import { ORDER, scalarFromLimbs, scalarToLimbs } from "./scalar.js";
import {
  publicKeyFromSecret,
  schnorrSign,
  schnorrVerify,
  signatureFromBytes,
  signatureToBytes,
  verifySignatureBytes,
} from "./schnorr.js";
import { toBytesLE } from "./quintic.js";

// Fixed-key vectors from elliottech/poseidon_crypto @315971c,
// signature/schnorr/schnorr_test.go TestComparativeSchnorrSignAndVerify.
const VECTORS: { sk: bigint[]; msg: Fp5; k: bigint[]; s: bigint[]; e: bigint[] }[] = [
  {
    sk: [12235002942052073545n, 1175977464658719998n, 8536934969147463310n, 6524687619313720391n, 2922072024880609112n],
    msg: [8398652514106806347n, 11069112711939986896n, 9732488227085561369n, 18076754337204438535n, 17155407358725346236n],
    k: [5245666847777449560n, 15178169970799106939n, 4403065012435293749n, 15306540389399388999n, 8935555081913173844n],
    s: [6950590877883398434n, 17178336263794770543n, 11012823478139181320n, 16445091359523510936n, 5882925226143600273n],
    e: [4544744459434870309n, 4180764085957612004n, 3024669018778978615n, 15433417688859446606n, 6775027260348937828n],
  },
  {
    sk: [14609471659974493146n, 15558617123161593410n, 853367204868339037n, 17594253198278631904n, 368396584122947478n],
    msg: [14569490467507212064n, 2707063505563578676n, 7506743487465742335n, 12569771346154554175n, 4305083698940175790n],
    k: [1980123857560067020n, 10696795398834097509n, 3211831869376171671n, 6194822139276031840n, 3482023782412490864n],
    s: [15189311883262425203n, 16924634885527914505n, 11098200095411565797n, 11441434601417451505n, 2245797172600273048n],
    e: [4905460437060282008n, 9275377852059362729n, 10383772785796962929n, 6858067464918579610n, 7078247668913970626n],
  },
  {
    sk: [846395111423676945n, 1354180063821346280n, 5751371120309175011n, 4898038106472090654n, 1076345918732914302n],
    msg: [17529153479246803593n, 1743712677205511695n, 4834285972617397460n, 5486672566342530358n, 7254989001695704129n],
    k: [10299597990997564957n, 8547298489021408803n, 12250978550108858722n, 5282281975236198197n, 5328603554431393061n],
    s: [1747989245728027396n, 18083435619737379521n, 18276259610811995786n, 15101757397705334408n, 5007814817019340642n],
    e: [4911725746357568132n, 12205663641120664338n, 16433506899074513700n, 14763562571101437023n, 2547950465160283358n],
  },
];

describe("schnorr", () => {
  it.each(VECTORS.map((v, i) => [i, v] as const))("reproduces the reference signature for fixed key and nonce #%i", (_i, v) => {
    const sk = scalarFromLimbs(v.sk);
    const sig = schnorrSign(v.msg, sk, scalarFromLimbs(v.k));
    expect(scalarToLimbs(sig.s)).toEqual(v.s);
    expect(scalarToLimbs(sig.e)).toEqual(v.e);
    expect(schnorrVerify(publicKeyFromSecret(sk), v.msg, sig)).toBe(true);
  });

  it("verifies what it signs and rejects a different message, key or tampered signature", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: ORDER - 1n }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 20 }),
        (sk, message) => {
          const hashed = hashToQuinticExtension(message);
          const pk = publicKeyFromSecret(sk);
          const sig = schnorrSign(hashed, sk);
          expect(schnorrVerify(pk, hashed, sig)).toBe(true);
          const other = hashToQuinticExtension([...message, 1n]);
          expect(schnorrVerify(pk, other, sig)).toBe(false);
          expect(schnorrVerify(publicKeyFromSecret(sk === 1n ? 2n : sk - 1n), hashed, sig)).toBe(false);
          expect(schnorrVerify(pk, hashed, { s: (sig.s + 1n) % ORDER, e: sig.e })).toBe(false);
        },
      ),
      { numRuns: 6 },
    );
  });

  it("round-trips signatures through 80 bytes and verifies at the byte level", () => {
    const sk = 123456789n;
    const hashed = hashToQuinticExtension([1n, 2n, 3n]);
    const sig = schnorrSign(hashed, sk);
    const bytes = signatureToBytes(sig);
    expect(bytes).toHaveLength(80);
    expect(signatureFromBytes(bytes)).toEqual(sig);
    expect(verifySignatureBytes(toBytesLE(publicKeyFromSecret(sk)), toBytesLE(hashed), bytes)).toBe(true);
  });

  it("rejects a public key that decodes to no point", () => {
    const hashed = hashToQuinticExtension([7n]);
    const sig = schnorrSign(hashed, 5n);
    const notAPoint: Fp5 = [13557832913345268708n, 15669280705791538619n, 8534654657267986396n, 12533218303838131749n, 5058070698878426028n];
    expect(schnorrVerify(notAPoint, hashed, sig)).toBe(false);
  });
});
