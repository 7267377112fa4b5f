import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { memoryLimitBytes } from '../../src/config/index.js';
import { scrape } from '../helpers/metrics.js';
import { withStack } from '../helpers/stack.js';

describe('/metrics says what memory the process runs with', () => {
  it('the memory it may use, its heap limit, and the in-memory cache bound', async () => {
    await withStack({ cache: { maxBytes: 5 * 1024 * 1024 } }, async (stack) => {
      const metrics = await scrape(stack.app);
      expect(metrics.value('ecs_image_graph_memory_limit_bytes', { kind: 'limit' })).toBe(memoryLimitBytes());
      expect(metrics.value('ecs_image_graph_memory_limit_bytes', { kind: 'heap' })).toBe(getHeapStatistics().heap_size_limit);
      expect(metrics.value('ecs_image_graph_memory_limit_bytes', { kind: 'cache' })).toBe(5 * 1024 * 1024);
    });
  });
});
