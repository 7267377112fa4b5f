import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_URLS } from '../../scripts/supergraph.js';
import { loadConfig } from '../../src/config/index.js';
import { GATEWAY_CONFIG } from '../helpers/gateway.js';
import { REDIS_ARGS } from '../helpers/redis.js';
import { PROGRAMS } from '../helpers/service.js';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');
const compose = async () => (parse(await read('docker-compose.yml')) as { services: Record<string, ComposeService> }).services;

/** The JSON-form CMD of the Dockerfile's last stage. */
async function dockerfileCommand(): Promise<string[]> {
  const commands = [...(await read('Dockerfile')).matchAll(/^CMD (\[.*\])$/gm)].map((match) => JSON.parse(match[1]!) as string[]);
  return commands.at(-1) ?? [];
}

describe('the Dockerfile and docker-compose.yml', () => {
  it('are valid: the Dockerfile lints clean, the compose file meets the compose specification (npm run lint:docker)', async () => {
    // Exits non-zero, and execFile rejects with the findings, on any problem.
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'lint:docker'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(stdout.trim()).toBe('');
  });
});

describe('docker-compose.yml runs only what the tests run', () => {
  it('has the service, the sandbox, the sample subgraph, a gateway and Redis', async () => {
    expect(Object.keys(await compose()).sort()).toEqual(['ecs-image-graph', 'gateway', 'redis', 'sandbox', 'servers']);
  });

  it('runs the compiled programs with the commands the tests run', async () => {
    const services = await compose();
    expect(services['ecs-image-graph']?.command).toBeUndefined();
    expect(await dockerfileCommand()).toEqual(PROGRAMS.service.command);
    const { scripts } = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
    expect(scripts['start']).toBe(PROGRAMS.service.command.join(' '));
    expect(services['sandbox']?.command).toEqual(PROGRAMS.sandbox.command);
    expect(services['servers']?.command).toEqual(PROGRAMS.servers.command);
    expect(services['redis']?.command).toEqual(['redis-server', ...REDIS_ARGS]);
  });

  it('runs the gateway the tests run: the same version, the same configuration, the checked-in supergraph', async () => {
    const gateway = (await compose())['gateway']!;
    const { devDependencies } = JSON.parse(await read('package.json')) as { devDependencies: Record<string, string> };
    expect(gateway.image).toBe(`ghcr.io/graphql-hive/gateway:${devDependencies['@graphql-hive/gateway']}`);
    expect(gateway.command).toEqual(['supergraph', '/gateway/federation/supergraph.graphql', '--port', '4000', '-c', `/gateway/${GATEWAY_CONFIG}`]);
  });

  it("gives the service a configuration it accepts, and the supergraph's subgraph URLs match the services", async () => {
    const services = await compose();
    const environment = services['ecs-image-graph']?.environment ?? {};
    const config = loadConfig({ HOST: '0.0.0.0', PORT: '4000', ...environment });
    expect(config.callers.auth.mode).toBe('service');
    expect(config.backend.ecsEndpoint?.href).toBe(`http://sandbox:${services['sandbox']?.environment?.['PORT']}/`);
    expect(environment['HUAWEICLOUD_SDK_SK']).toBe(services['sandbox']?.environment?.['SANDBOX_SECRET_KEY']);
    expect(COMPOSE_URLS).toEqual({ images: 'http://ecs-image-graph:4000/graphql', servers: `http://servers:${services['servers']?.environment?.['PORT']}/graphql` });
  });
});
