import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GENERATOR,
  NEUTRAL,
  decodePoint,
  encodePoint,
  isNeutral,
  mulGenerator,
  pointAdd,
  pointDouble,
  pointEquals,
  pointFromCoordinates,
  pointMDouble,
  pointMul,
  pointMulCached,
  pointNeg,
} from "./ecgfp5.js";
import * as Q from "./quintic.js";
import type { Fp5 } from "./quintic.js";
import { ORDER, scalarFromLimbs } from "./scalar.js";

// Vectors from elliottech/poseidon_crypto @315971c, curve/ecgfp5/curve_test.go.
const W: Fp5[] = [
  Q.FP5_ZERO,
  [12539254003028696409n, 15524144070600887654n, 15092036948424041984n, 11398871370327264211n, 10958391180505708567n],
  [11001943240060308920n, 17075173755187928434n, 3940989555384655766n, 15017795574860011099n, 5548543797011402287n],
  [246872606398642312n, 4900963247917836450n, 7327006728177203977n, 13945036888436667069n, 3062018119121328861n],
  [8058035104653144162n, 16041715455419993830n, 7448530016070824199n, 11253639182222911208n, 6228757819849640866n],
  [10523134687509281194n, 11148711503117769087n, 9056499921957594891n, 13016664454465495026n, 16494247923890248266n],
  [12173306542237620n, 6587231965341539782n, 17027985748515888117n, 17194831817613584995n, 10056734072351459010n],
  [9420857400785992333n, 4695934009314206363n, 14471922162341187302n, 13395190104221781928n, 16359223219913018041n],
];
const UNDECODABLE: Fp5[] = [
  [13557832913345268708n, 15669280705791538619n, 8534654657267986396n, 12533218303838131749n, 5058070698878426028n],
  [135036726621282077n, 17283229938160287622n, 13113167081889323961n, 1653240450380825271n, 520025869628727862n],
  [6727960962624180771n, 17240764188796091916n, 3954717247028503753n, 1002781561619501488n, 4295357288570643789n],
  [4578929270179684956n, 3866930513245945042n, 7662265318638150701n, 9503686272550423634n, 12241691520798116285n],
  [16890297404904119082n, 6169724643582733633n, 9725973298012340311n, 5977049210035183790n, 11379332130141664883n],
  [13777379982711219130n, 14715168412651470168n, 17942199593791635585n, 6188824164976547520n, 15461469634034461986n],
];

function decoded(w: Fp5) {
  const p = decodePoint(w);
  if (!p) throw new Error("vector did not decode");
  return p;
}

describe("ECgFp5", () => {
  it("encodes a projective point like the reference (TestEncode)", () => {
    const p = pointFromCoordinates(
      Q.fp5(8219099146870311261n, 1751466925979295147n, 7427996218561204331n, 5499363376829590386n, 17146362437196146248n),
      Q.fp5(9697849239028047855n, 5846309906783017685n, 10545493423738651463n, 2054382452661947581n, 7470471124463677860n),
      Q.fp5(2901139745109740356n, 15850005224840060392n, 3464972059371886732n, 15264046134718393739n, 9208307769190416697n),
      Q.fp5(4691886900801030369n, 14793814721360336872n, 14452533794393275351n, 3652664841353278369n, 4894903405053011144n),
    );
    expect(encodePoint(p)).toEqual([11698180777452980608n, 17225201015770513568n, 2048901991804183462n, 12372738397545947475n, 13773458998102781339n]);
  });

  it("refuses to decode the reference's invalid encodings", () => {
    for (const w of UNDECODABLE) expect(decodePoint(w)).toBeUndefined();
  });

  it("decodes, re-encodes, adds and doubles the reference points (TestBasicOps)", () => {
    const p = W.map(decoded);
    expect(isNeutral(p[0]!)).toBe(true);
    for (let i = 1; i < 8; i++) expect(isNeutral(p[i]!)).toBe(false);
    for (let i = 0; i < 8; i++) expect(encodePoint(p[i]!)).toEqual(W[i]);
    expect(pointEquals(p[1]!, p[2]!)).toBe(false);
    expect(encodePoint(pointAdd(p[1]!, p[2]!))).toEqual(W[3]);
    expect(encodePoint(pointAdd(p[1]!, p[1]!))).toEqual(W[4]);
    expect(encodePoint(pointDouble(p[2]!))).toEqual(W[5]);
    expect(encodePoint(pointAdd(pointDouble(p[1]!), p[2]!))).toEqual(W[6]);
    expect(encodePoint(pointAdd(pointAdd(p[1]!, p[2]!), p[2]!))).toEqual(W[7]);
    expect(encodePoint(pointDouble(p[0]!))).toEqual(Q.FP5_ZERO);
    expect(encodePoint(pointAdd(p[0]!, p[1]!))).toEqual(W[1]);
    for (let n = 0; n < 10; n++) {
      let repeated = p[1]!;
      for (let j = 0; j < n; j++) repeated = pointDouble(repeated);
      expect(pointEquals(pointMDouble(p[1]!, n), repeated)).toBe(true);
    }
  });

  it("multiplies a point by a scalar like the reference (TestScalarMul)", () => {
    const p = pointFromCoordinates(
      Q.fp5(16818074783491816710n, 5830279414330569119n, 3449083115922675783n, 1268145320872323641n, 12614816166275380125n),
      Q.FP5_ONE,
      Q.FP5_ONE,
      Q.fp5(7534507442095725921n, 16658460051907528927n, 12417574136563175256n, 2750788641759288856n, 620002843272906439n),
    );
    const expected = pointFromCoordinates(
      Q.fp5(16885333682092300432n, 5595343485914691669n, 13188593663496831978n, 10414629856394645794n, 5668658507670629815n),
      Q.FP5_ONE,
      Q.FP5_ONE,
      Q.fp5(9486104512504676657n, 14312981644741144668n, 5159846406177847664n, 15978863787033795628n, 3249948839313771192n),
    );
    const k = scalarFromLimbs([996458928865875995n, 7368213710557165165n, 8553572641065079816n, 15282443801767955752n, 251150557732720826n]);
    expect(pointEquals(pointMul(p, k), expected)).toBe(true);
  });

  it("has prime order n: n G is the neutral and (n - 1) G = -G", () => {
    expect(isNeutral(pointMul(GENERATOR, ORDER))).toBe(true);
    expect(pointEquals(mulGenerator(ORDER - 1n), pointNeg(GENERATOR))).toBe(true);
  });

  it("agrees between the generator table and generic multiplication, and is linear", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: ORDER - 1n }), fc.bigInt({ min: 0n, max: ORDER - 1n }), (a, b) => {
        const aG = mulGenerator(a);
        expect(pointEquals(aG, pointMul(GENERATOR, a))).toBe(true);
        expect(pointEquals(pointAdd(aG, mulGenerator(b)), mulGenerator((a + b) % ORDER))).toBe(true);
      }),
      { numRuns: 4 },
    );
  });

  it("gives the same products through the per-key window cache as without it", () => {
    const p = mulGenerator(123456789n);
    const id = encodePoint(p).join(",");
    for (const k of [5n, ORDER - 2n, 2n ** 300n + 17n]) expect(pointEquals(pointMulCached(p, k, id), pointMul(p, k))).toBe(true);
  });

  it("round-trips encode and decode for random multiples of G", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: ORDER - 1n }), (k) => {
        const p = mulGenerator(k);
        const back = decodePoint(encodePoint(p));
        expect(back && pointEquals(back, p)).toBe(true);
      }),
      { numRuns: 8 },
    );
    expect(pointEquals(decodePoint(Q.FP5_ZERO)!, NEUTRAL)).toBe(true);
  });
});
