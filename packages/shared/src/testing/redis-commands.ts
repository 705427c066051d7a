import type { Redis } from 'ioredis';

/**
 * Records the name of every command `redis` sends from now on in `sent` (which a test may empty
 * between steps); `stop()` puts the connection back as it was.
 */
export function recordCommands(redis: Redis): { sent: string[]; stop: () => void } {
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    sent.push(command.name);
    return send(command, stream);
  };
  return {
    sent,
    stop: () => {
      redis.sendCommand = send;
    },
  };
}
