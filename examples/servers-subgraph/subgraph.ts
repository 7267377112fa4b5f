import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';

/**
 * The sample `servers` subgraph of federation/servers.graphql: a stand-in for another team's service, for
 * the composition and gateway tests and for `docker compose up`. Its servers reference sandbox images.
 */
export const SERVERS_SDL = readFileSync(new URL('../../federation/servers.graphql', import.meta.url), 'utf8');

const image = (imageId: string) => ({ projectId: SAMPLE_PROJECT_ID, id: imageId });
const [, windows, ubuntu] = SAMPLE_IMAGES;

/** Five servers, four distinct images: two servers share the documented one, and one image does not exist. */
export const SERVERS = [
  { id: 'srv-1', name: 'api-1', image: image(DOCUMENTED_IMAGE.imageId) },
  { id: 'srv-2', name: 'api-2', image: image(DOCUMENTED_IMAGE.imageId) },
  { id: 'srv-3', name: 'batch-1', image: image(ubuntu!.imageId) },
  { id: 'srv-4', name: 'legacy-1', image: image('00000000-0000-4000-8000-0000000000aa') },
  { id: 'srv-5', name: 'win-1', image: image(windows!.imageId) },
];

export type SampleServer = (typeof SERVERS)[number];

/** @param servers what `servers` answers: the samples, or (tests) others */
export function createServersSubgraph(servers: readonly SampleServer[] = SERVERS) {
  const schema = buildSubgraphSchema({
    typeDefs: parse(SERVERS_SDL),
    resolvers: {
      Query: { servers: () => servers },
      Server: { __resolveReference: (reference: { id: string }) => servers.find((server) => server.id === reference.id) ?? null },
    },
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', healthCheckEndpoint: '/healthz', landingPage: false });
}

/** Serves the subgraph; resolves with its server once listening. */
export async function startServersSubgraph(port: number, host: string, servers: readonly SampleServer[] = SERVERS): Promise<Server> {
  const server = createServer(createServersSubgraph(servers));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}

export function serverUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}/graphql`;
}
