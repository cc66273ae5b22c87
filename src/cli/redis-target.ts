/** Which Redis a command tried, for its error messages: the URL without its password, or the cluster nodes. */

export function redisTarget(redis: {
  url?: string | undefined;
  clusterNodes?: readonly string[] | undefined;
  sentinels?: readonly string[] | undefined;
  masterName?: string | undefined;
}): string {
  if (redis.sentinels && redis.sentinels.length > 0) return `Redis master "${redis.masterName ?? ''}" of the sentinels ${redis.sentinels.join(',')}`;
  if (redis.clusterNodes && redis.clusterNodes.length > 0) return `Redis Cluster ${redis.clusterNodes.join(',')}`;
  const url = redis.url ?? 'redis://127.0.0.1:6379';
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return `Redis at ${parsed.toString().replace(/\/$/, '')}`;
  } catch {
    return `Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')}`;
  }
}

/** "getTenant: Redis is unavailable (...)" + " (Redis at redis://...)". */
export function namingRedis(message: string, redis: Parameters<typeof redisTarget>[0]): string {
  return `${message} (${redisTarget(redis)})`;
}
