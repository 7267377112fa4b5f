/**
 * Composes federation/supergraph.graphql from this service's subgraph SDL (schema.graphql) and the sample
 * `servers` subgraph (federation/servers.graphql), with @theguild/federation-composition, offline. The URLs
 * are those of docker-compose.yml; the tests compose the same subgraphs with their loopback URLs.
 * Usage: tsx scripts/supergraph.ts [--check]
 */
import { fileURLToPath } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { SERVERS_SDL } from '../examples/servers-subgraph/subgraph.js';
import { printSchemaFile } from '../src/graphql/schema/print.js';
import { writeOrCheck } from './generated-file.js';

export const SUPERGRAPH_FILE = new URL('../federation/supergraph.graphql', import.meta.url);

/** The subgraph URLs inside docker-compose.yml's network. */
export const COMPOSE_URLS = { images: 'http://ecs-image-graph:4000/graphql', servers: 'http://servers:4002/graphql' };

/** The supergraph of both subgraphs at the given URLs; throws with every composition error. */
export function composeSupergraph(urls: { images: string; servers: string }): string {
  const result = composeServices([
    { name: 'images', typeDefs: parse(printSchemaFile()), url: urls.images },
    { name: 'servers', typeDefs: parse(SERVERS_SDL), url: urls.servers },
  ]);
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((error) => `  ${error.message}`).join('\n')}`);
  return result.supergraphSdl;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeOrCheck(SUPERGRAPH_FILE, composeSupergraph(COMPOSE_URLS), 'npm run supergraph');
}
