import type { Redis } from 'ioredis';
import type { SignalTransport } from './event-signal.js';

/**
 * Redis pub/sub: publishes through the server's client; a duplicate of it subscribes (a
 * subscriber does nothing else). It subscribes each time its connection is ready, the first and
 * after every reconnection (ioredis's own resubscription is off), and only once subscribed again
 * tells `onGap` that what was published meanwhile was lost: a stream that reads then misses nothing.
 */
export function redisTransport(redis: Redis, channel: string): SignalTransport {
  const subscriber = redis.duplicate({ autoResubscribe: false });
  return {
    async publish(messages) {
      const pipeline = redis.pipeline();
      for (const message of messages) pipeline.publish(channel, message);
      const failure = (await pipeline.exec())?.find(([error]) => error)?.[0];
      if (failure) throw failure;
    },
    async start(onMessage, onGap) {
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      let listened = false;
      const listen = async () => {
        await subscriber.subscribe(channel);
        if (listened) onGap();
        listened = true;
      };
      // A subscription that failed (the connection lost again at once) is made at the next 'ready'.
      subscriber.on('ready', () => void listen().catch(() => undefined));
      if (subscriber.status === 'ready') await listen();
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
