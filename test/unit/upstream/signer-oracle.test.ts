import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { sign } from '../../../src/upstream/signer.js';

// Huawei's official Node signer, a dev dependency used only here, as an independent oracle.
const { AKSKSigner } = createRequire(import.meta.url)('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js') as {
  AKSKSigner: {
    sign(
      request: { method: string; endpoint: string; headers: Record<string, string>; queryParams: Record<string, string | string[]>; data?: unknown },
      credential: { getAk(): string; getSk(): string },
    ): Record<string, string>;
  };
};

/** A small seeded generator: the same 300 requests on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

// Characters Node's url.parse (which the SDK uses) leaves as they are, so both sides sign the same path.
const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$()*+,;=:@é镜';
const TEXT_CHARS = `${PATH_CHARS} /?&#%"'<>[]{}|\\^\`😀`;

describe('the signer agrees with the official Huawei Cloud SDK signer', () => {
  it('on 300 generated requests: methods, paths, queries, headers and bodies', () => {
    const next = random(7);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const text = (chars: string, min: number, max: number) =>
      Array.from({ length: min + Math.floor(next() * (max - min + 1)) }, () => pick([...chars])).join('');

    for (let n = 0; n < 300; n += 1) {
      const method = pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
      const path = `/${Array.from({ length: 1 + Math.floor(next() * 5) }, () => text(PATH_CHARS, 1, 12)).join('/')}`;
      const query: Record<string, string | string[]> = {};
      for (let q = Math.floor(next() * 4); q > 0; q -= 1) {
        query[text('abcdefghij_', 1, 6)] = next() < 0.3 ? [text(TEXT_CHARS, 0, 8), text(TEXT_CHARS, 0, 8)] : text(TEXT_CHARS, 0, 10);
      }
      const headers: Record<string, string> = { host: `ecs.${text('abcdefgh', 2, 6)}.myhuaweicloud.com` };
      for (let h = Math.floor(next() * 3); h > 0; h -= 1) headers[`X-${text('abcdefgh', 2, 8)}`] = text('ABCdef012 :;,./', 1, 12).trim() || 'v';
      const data = method === 'GET' ? undefined : { name: text(TEXT_CHARS, 0, 20), size: Math.floor(next() * 1e6) };
      const key = { accessKey: text('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 20, 20), secretKey: text(PATH_CHARS, 40, 40) };
      const date = new Date(Date.UTC(2020 + Math.floor(next() * 7), Math.floor(next() * 12), 1 + Math.floor(next() * 28), Math.floor(next() * 24), Math.floor(next() * 60), Math.floor(next() * 60)));

      const ours = sign({ method, path, query, headers, ...(data && { body: JSON.stringify(data) }) }, key, date);
      const theirs = AKSKSigner.sign(
        {
          method,
          endpoint: `https://${headers['host']}${path}`,
          headers: { ...headers, 'X-Sdk-Date': ours.headers['X-Sdk-Date'] },
          queryParams: query,
          ...(data && { data }),
        },
        { getAk: () => key.accessKey, getSk: () => key.secretKey },
      );
      expect({ n, authorization: ours.headers.Authorization }).toEqual({ n, authorization: theirs['Authorization'] });
    }
  });
});
