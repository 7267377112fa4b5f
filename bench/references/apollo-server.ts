/**
 * The setup a team writes by hand: Apollo Server 5, an `@apollo/datasource-rest` RESTDataSource for the
 * upstream, and a per-request DataLoader over it.
 */
import { RESTDataSource } from '@apollo/datasource-rest';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import DataLoader from 'dataloader';
import { metadataPath, ready, resolvers, settings, TYPE_DEFS, type Metadata } from './image-fields.js';

interface Context {
  readonly loader: DataLoader<string, Metadata | null>;
}

const { upstream, port } = settings();

class EcsImages extends RESTDataSource {
  override baseURL = upstream.href;

  constructor(private readonly token: string) {
    super();
  }

  async metadata(projectId: string, id: string): Promise<Metadata | null> {
    try {
      const answer = await this.get<{ metadata: Metadata }>(metadataPath(projectId, id).slice(1), { headers: { 'x-auth-token': this.token } });
      return answer.metadata;
    } catch (error) {
      if ((error as { extensions?: { response?: { status?: number } } }).extensions?.response?.status === 404) return null;
      throw error;
    }
  }
}

const server = new ApolloServer<Context>({
  typeDefs: TYPE_DEFS,
  resolvers: resolvers((context, projectId, id) => (context as Context).loader.load(`${projectId}/${id}`)),
});
const { url } = await startStandaloneServer(server, {
  listen: { port, host: '127.0.0.1' },
  context: async ({ req }) => {
    const images = new EcsImages(String(req.headers['x-auth-token'] ?? ''));
    return {
      loader: new DataLoader((keys: readonly string[]) =>
        Promise.all(
          keys.map((key) => {
            const [projectId = '', id = ''] = key.split('/');
            return images.metadata(projectId, id).catch((error: Error) => error);
          }),
        ),
      ),
    };
  },
});
ready(url);
