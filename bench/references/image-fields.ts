import { readFileSync } from 'node:fs';

/**
 * What every GraphQL reference serves, written the obvious way a team would: the schema, and resolvers that
 * read the metadata map an upstream call returned (`null` for a missing image).
 */
export const TYPE_DEFS = readFileSync(new URL('schema.graphql', import.meta.url), 'utf8');

export type Metadata = Record<string, string>;

export interface LoadedImage {
  readonly projectId: string;
  readonly id: string;
  readonly metadata: Metadata;
}

/** `load(projectId, id)` is the reference's per-request loader. */
export function resolvers(load: (context: unknown, projectId: string, id: string) => Promise<Metadata | null>) {
  const image = async (context: unknown, projectId: string, id: string): Promise<LoadedImage | null> => {
    const metadata = await load(context, projectId, id);
    return metadata === null ? null : { projectId, id, metadata };
  };
  return {
    Query: {
      image: (_root: unknown, args: { projectId: string; id: string }, context: unknown) => image(context, args.projectId, args.id),
      images: (_root: unknown, args: { projectId: string; ids: string[] }, context: unknown) => args.ids.map((id) => image(context, args.projectId, id)),
    },
    Image: {
      osType: (image: LoadedImage) => image.metadata['__os_type']?.toUpperCase() ?? null,
      osBit: (image: LoadedImage) => (image.metadata['__os_bit'] === undefined ? null : Number.parseInt(image.metadata['__os_bit'], 10)),
      platform: (image: LoadedImage) => image.metadata['__platform']?.toUpperCase() ?? null,
      metadata: (image: LoadedImage) => Object.entries(image.metadata).map(([key, value]) => ({ key, value })),
    },
  };
}

/** The upstream path of one image's metadata. */
export const metadataPath = (projectId: string, id: string) => `/v2.1/${encodeURIComponent(projectId)}/images/${encodeURIComponent(id)}/metadata`;

/** Announces the reference's URL on stdout, as the benchmark waits for it. */
export function ready(url: string): void {
  process.stdout.write(`reference ready at ${url}\n`);
}

/** The upstream's URL and the port to listen on, from the environment the benchmark gives. */
export function settings(): { upstream: URL; port: number } {
  return { upstream: new URL(process.env['UPSTREAM'] ?? 'http://127.0.0.1:8080'), port: Number(process.env['PORT'] ?? 0) };
}
