import type { Redis, RedisValue, Result } from 'ioredis';
import { LIST_RUNS_LUA } from './recent.lua';
import { MARK_REPLAY_LUA, RECORD_STATUS_LUA, SET_STAGE_LUA } from './stage.lua';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** SET_STAGE_LUA, once defineRunScripts ran on this connection: the number of keys, the keys, the arguments. */
    runsSetStage(numberOfKeys: number, ...keysAndArgs: RedisValue[]): Result<unknown, Context>;
    /** MARK_REPLAY_LUA, once defineRunScripts ran on this connection: 1 key, then the arguments. */
    runsMarkReplay(...keysAndArgs: RedisValue[]): Result<unknown, Context>;
    /** RECORD_STATUS_LUA, once defineRunScripts ran on this connection: the number of keys (1, or 2 with a fence), the keys, the arguments. */
    runsRecordStatus(numberOfKeys: number, ...keysAndArgs: RedisValue[]): Result<unknown, Context>;
    /** LIST_RUNS_LUA, once defineRunScripts ran on this connection: 1 key (the index), then the arguments. */
    runsListPage(...keysAndArgs: RedisValue[]): Result<unknown, Context>;
  }
}

/**
 * Defines the run store's scripts as commands on `redis`. ioredis runs them with EVALSHA and
 * falls back to EVAL when Redis answers NOSCRIPT.
 */
export function defineRunScripts(redis: Redis): void {
  // (the intake script is sent by RunStore itself, see IntakeCommand in run-store.ts)
  // a variable number of keys: each call passes the count first
  redis.defineCommand('runsSetStage', { lua: SET_STAGE_LUA });
  redis.defineCommand('runsMarkReplay', { numberOfKeys: 1, lua: MARK_REPLAY_LUA });
  // 1 key, or 2 with a fence: each call passes the count first
  redis.defineCommand('runsRecordStatus', { lua: RECORD_STATUS_LUA });
  redis.defineCommand('runsListPage', { numberOfKeys: 1, lua: LIST_RUNS_LUA });
}
