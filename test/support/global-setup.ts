/**
 * Vitest global setup: one redis-server on a free port for the whole run.
 * Tests read its URL with inject('redisUrl') and work under their own key prefix.
 */
import type { TestProject } from 'vitest/node';
import { startRedisServer, type RunningRedis } from './redis-server.js';

let redis: RunningRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
