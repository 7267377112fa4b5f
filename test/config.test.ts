import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { withConfigTable } from '../scripts/config-table.js';

describe('loadConfig', () => {
  it('has working defaults: the sandbox, port 4000, loopback', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      ecsEndpoint: undefined,
      concurrencyPerOperation: 10,
      imagesMaxIds: 100,
      logLevel: 'info',
    });
  });

  it('treats an empty ECS_ENDPOINT as unset and keeps a path prefix', () => {
    expect(loadConfig({ ECS_ENDPOINT: '' }).ecsEndpoint).toBeUndefined();
    expect(loadConfig({ ECS_ENDPOINT: 'https://ecs.cn-north-4.myhuaweicloud.com' }).ecsEndpoint?.href).toBe('https://ecs.cn-north-4.myhuaweicloud.com/');
    expect(loadConfig({ ECS_ENDPOINT: 'http://127.0.0.1:8080/proxy/ecs/' }).ecsEndpoint?.href).toBe('http://127.0.0.1:8080/proxy/ecs/');
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      UPSTREAM_CONCURRENCY_PER_OPERATION: '3',
      IMAGES_MAX_IDS: '250',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ port: 0, host: '0.0.0.0', concurrencyPerOperation: 3, imagesMaxIds: 250, logLevel: 'debug' });
  });

  it.each([
    [{ PORT: 'eighty' }, '  PORT: must be a whole number from 0 to 65535, got "eighty"'],
    [{ PORT: '65536' }, '  PORT: must be a whole number from 0 to 65535, got "65536"'],
    [{ UPSTREAM_CONCURRENCY_PER_OPERATION: '0' }, '  UPSTREAM_CONCURRENCY_PER_OPERATION: must be a whole number from 1 to 1000, got "0"'],
    [{ IMAGES_MAX_IDS: '1.5' }, '  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "1.5"'],
    [{ ECS_ENDPOINT: 'ecs.cn-north-4.myhuaweicloud.com' }, '  ECS_ENDPOINT: must be an http(s) URL such as https://ecs.cn-north-4.myhuaweicloud.com'],
    [{ ECS_ENDPOINT: 'ftp://ecs.example.com' }, '  ECS_ENDPOINT: must use http or https'],
    [{ ECS_ENDPOINT: 'https://ecs.example.com/?region=x' }, '  ECS_ENDPOINT: must not have a query string or fragment'],
    [{ LOG_LEVEL: 'loud' }, '  LOG_LEVEL: Value "loud" not in choices [fatal,error,warn,info,debug,trace,silent]'],
  ])('refuses %j with a precise message', (env, line) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(`Invalid configuration:\n${line}`));
  });

  it('never echoes credentials in an endpoint', () => {
    expect(() => loadConfig({ ECS_ENDPOINT: 'https://user:s3cret@ecs.example.com' })).toThrow(
      new ConfigError('Invalid configuration:\n  ECS_ENDPOINT: must not contain credentials'),
    );
  });

  it('lists every bad setting at once', () => {
    expect(() => loadConfig({ PORT: 'x', IMAGES_MAX_IDS: '0' })).toThrow(
      'Invalid configuration:\n  PORT: must be a whole number from 0 to 65535, got "x"\n  IMAGES_MAX_IDS: must be a whole number from 1 to 10000, got "0"',
    );
  });
});

describe('README', () => {
  it('documents every setting with its default (run `npm run docs:config` after changing settings)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toBe(withConfigTable(readme));
  });
});
