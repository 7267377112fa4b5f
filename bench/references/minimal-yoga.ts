/**
 * The floor of this stack: graphql-yoga with the same fields, a per-request DataLoader and an undici Pool, no
 * plugins (`GRAPHQL_JIT=true` adds compiled execution).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useGraphQlJit } from '@envelop/graphql-jit';
import DataLoader from 'dataloader';
import { createSchema, createYoga, type YogaServerOptions } from 'graphql-yoga';
import { Pool } from 'undici';
import { metadataPath, ready, resolvers, settings, TYPE_DEFS, type Metadata } from './image-fields.js';

interface Context {
  readonly loader: DataLoader<string, Metadata | null>;
}

const { upstream, port } = settings();
const pool = new Pool(upstream.origin, { connections: 20 });

async function fetchMetadata(key: string, token: string): Promise<Metadata | null> {
  const [projectId = '', id = ''] = key.split('/');
  const { statusCode, body } = await pool.request({ method: 'GET', path: metadataPath(projectId, id), headers: { 'x-auth-token': token } });
  if (statusCode === 404) {
    await body.dump();
    return null;
  }
  if (statusCode !== 200) {
    await body.dump();
    throw new Error(`upstream answered ${statusCode}`);
  }
  return ((await body.json()) as { metadata: Metadata }).metadata;
}

const plugins: YogaServerOptions<object, Context>['plugins'] = process.env['GRAPHQL_JIT'] === 'true' ? [useGraphQlJit()] : [];
const yoga = createYoga<object, Context>({
  schema: createSchema<Context>({ typeDefs: TYPE_DEFS, resolvers: resolvers((context, projectId, id) => (context as Context).loader.load(`${projectId}/${id}`)) }),
  context: ({ request }) => {
    const token = request.headers.get('x-auth-token') ?? '';
    return { loader: new DataLoader((keys: readonly string[]) => Promise.all(keys.map((key) => fetchMetadata(key, token).catch((error: Error) => error)))) };
  },
  plugins,
  logging: false,
  landingPage: false,
});

const server = createServer(yoga);
server.listen(port, '127.0.0.1', () => ready(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`));
