import type { Redis } from 'ioredis';
import type { SignalTransport } from './event-signal.js';

/** Redis pub/sub: publishes through the server's client; a duplicate of it subscribes (a subscriber does nothing else). */
export function redisTransport(redis: Redis, channel: string): SignalTransport {
  const subscriber = redis.duplicate();
  return {
    async publish(message) {
      await redis.publish(channel, message);
    },
    async start(onMessage, onGap) {
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      // After a reconnection ioredis subscribes again by itself; what was published meanwhile is lost.
      let first = true;
      subscriber.on('ready', () => {
        if (!first) onGap();
        first = false;
      });
      await subscriber.subscribe(channel);
    },
    async close() {
      subscriber.disconnect();
    },
  };
}
