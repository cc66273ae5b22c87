/**
 * Vitest global setup: one redis-server on a free port for the whole run, and
 * a three-master Redis Cluster on free ports. Tests read inject('redisUrl')
 * and inject('redisClusterNodes') and work under their own key prefix. Both
 * die with the test run even when it is killed (see watchdog.ts).
 */
import type { TestProject } from 'vitest/node';
import { startRedisCluster, type RunningRedisCluster } from './redis-cluster.js';
import { startRedisServer, type RunningRedis } from './redis-server.js';

let redis: RunningRedis | undefined;
let cluster: RunningRedisCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await startRedisServer();
  project.provide('redisUrl', redis.url);
  try {
    cluster = await startRedisCluster();
  } catch (err) {
    // vitest runs no teardown after a failed setup.
    await redis.stop();
    throw err;
  }
  project.provide('redisClusterNodes', cluster.nodes);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  await cluster?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** "127.0.0.1:port" of each master of the test Redis Cluster. */
    redisClusterNodes: string[];
  }
}
