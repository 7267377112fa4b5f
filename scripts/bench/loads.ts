/** What the benchmark asks: each load builds its next request afresh. */
import { randomUUID } from 'node:crypto';
import { SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';

export interface Request {
  readonly method: 'GET' | 'POST';
  readonly path?: string;
  readonly body?: string;
  readonly headers: Record<string, string>;
  /** How many image ids it asks for. */
  readonly images: number;
}

export interface Load {
  next(): Request;
}

const FIELDS = 'id osType osBit platform metadata { key value }';
const P = SAMPLE_PROJECT_ID;
const aliases = (count: number) => Array.from({ length: count }, (_, n) => `$i${n}: ID!`).join(', ');

let tokenCount = 0;
/** Many callers, each asking now and then: a token of 10,000, so that no caller's allowance is ever reached. */
const token = () => `bench-caller-${(tokenCount += 1) % 10_000}`;
/** `images`: how many ids each request asks for, or `ids`: as many as its `ids` variable holds. */
const graphql = (query: string, variables: () => Record<string, unknown>, images: number | 'ids', caller: () => string = token): Load => ({
  next: () => {
    const vars = variables();
    return {
      method: 'POST',
      body: JSON.stringify({ query, variables: vars }),
      headers: { 'content-type': 'application/json', 'x-auth-token': caller() },
      images: images === 'ids' ? (vars['ids'] as unknown[]).length : images,
    };
  },
});

const LIST = `query List($p: ID!, $ids: [ID!]!) { images(projectId: $p, ids: $ids) { ${FIELDS} } }`;
const list = (ids: () => string[], caller?: () => string) => graphql(LIST, () => ({ p: P, ids: ids() }), 'ids', caller);
const fresh = (count: number) => () => Array.from({ length: count }, () => randomUUID());

export const LOADS = {
  one: graphql(`query One($p: ID!, $id: ID!) { image(projectId: $p, id: $id) { ${FIELDS} } }`, () => ({ p: P, id: randomUUID() }), 1),
  aliases: graphql(
    `query Fifty($p: ID!, ${aliases(50)}) { ${Array.from({ length: 50 }, (_, n) => `i${n}: image(projectId: $p, id: $i${n}) { ${FIELDS} }`).join(' ')} }`,
    () => Object.fromEntries([['p', P], ...Array.from({ length: 50 }, (_, n) => [`i${n}`, randomUUID()])]),
    50,
  ),
  list: list(fresh(50)),
  warm: graphql(`query Warm($p: ID!, $id: ID!) { image(projectId: $p, id: $id) { ${FIELDS} } }`, () => ({ p: P, id: '17a1890b-0fa4-485e-8505-14e294017988' }), 1, () => 'bench-one-caller'),
  proxy: { next: () => ({ method: 'GET' as const, path: `/v2.1/${P}/images/${randomUUID()}/metadata`, headers: { 'x-auth-token': token() }, images: 1 }) },
  hundred: list(fresh(100)),
} satisfies Record<string, Load>;

/** The realistic workload's shape. */
export const REALISTIC = { callers: 100, images: 10_000, zipfExponent: 1, minPerOperation: 1, maxPerOperation: 20 } as const;

/** The id of image number `rank` (1 the most asked for) of the realistic workload: a UUID, the same in every run. */
export const imageId = (rank: number) => `00000000-0000-4000-8000-${rank.toString(16).padStart(12, '0')}`;

/**
 * The workload the service's design exists for: {@link REALISTIC}.callers callers (distinct tokens), each operation
 * an `images` list of 1 to 20 ids (uniformly), drawn Zipf-like over 10,000 images (the image of rank k asked for
 * in proportion to 1/k), repeats within an operation allowed, as they come. Seeded: every run asks the same.
 */
export function realisticLoad(seed = 20): Load {
  const random = mulberry32(seed);
  const weights = Array.from({ length: REALISTIC.images }, (_, index) => 1 / (index + 1) ** REALISTIC.zipfExponent);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative = new Float64Array(REALISTIC.images);
  let sum = 0;
  weights.forEach((weight, index) => (cumulative[index] = sum += weight / total));
  const rank = () => {
    const target = random();
    let low = 0;
    let high = REALISTIC.images - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
  const span = REALISTIC.maxPerOperation - REALISTIC.minPerOperation + 1;
  const ids = () => Array.from({ length: REALISTIC.minPerOperation + Math.floor(random() * span) }, () => imageId(rank()));
  return list(ids, () => `bench-realistic-${Math.floor(random() * REALISTIC.callers)}`);
}

/**
 * `count` images per operation for one caller: fresh ids (every one fetched), or ids of a pool of `pool` images
 * the caller has read before (every one served from the cache, once {@link warmUp} has run).
 */
export function perImageLoad(count: number, from: 'fresh' | { pool: number }): Load {
  if (from === 'fresh') return list(fresh(count), () => 'bench-per-image');
  const random = mulberry32(count);
  return list(() => Array.from({ length: count }, () => imageId(1 + Math.floor(random() * from.pool))), () => 'bench-per-image');
}

/** Requests reading every image of a {@link perImageLoad} pool once, 100 to an operation. */
export function warmUp(pool: number): Request[] {
  const ids = Array.from({ length: pool }, (_, index) => imageId(index + 1));
  const requests: Request[] = [];
  for (let from = 0; from < pool; from += 100) requests.push(list(() => ids.slice(from, from + 100), () => 'bench-per-image').next());
  return requests;
}

/** A small seeded generator of numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
