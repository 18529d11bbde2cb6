import type { OperationHandlers } from '../contract/operations.js';

/** streamEvents: placeholder until the live stream lands (issue 17). */
export function createEventHandlers(): Pick<OperationHandlers, 'streamEvents'> {
  return {
    streamEvents: async () => {
      throw new Error('the live stream is not built yet');
    },
  };
}
