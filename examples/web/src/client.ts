import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';

/**
 * The service's GraphQL endpoint: `?endpoint=` in the page's URL, else a service started with `npm start` on
 * this machine. The page is served from its own origin, so the service must list that origin in CORS_ORIGINS.
 */
export const endpoint = new URLSearchParams(location.search).get('endpoint') ?? 'http://localhost:4000/graphql';

export const client = new ApolloClient({
  link: new HttpLink({ uri: endpoint }),
  cache: new InMemoryCache(),
  // Sent as apollographql-client-name: the service counts deprecated-field use by client under this name.
  clientAwareness: { name: 'web-example', version: '1' },
});
