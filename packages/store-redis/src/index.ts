// Public API of @restguard/store-redis. This file only re-exports.
export {
  createRedisReplayStore,
  type RedisReplayStoreOptions,
  type RedisSetClient,
} from './replay-store.js';
