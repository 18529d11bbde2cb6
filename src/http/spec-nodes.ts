/** A JSON object (not an array, not null), as the spec's nodes are read. */
export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Calls `see` on every object of the (bundled) spec, parents before their children, examples
 * left out: their values are data, not schemas, and may look like anything.
 */
export function forEachSpecObject(node: unknown, see: (node: JsonObject) => void): void {
  if (Array.isArray(node)) return node.forEach((item) => forEachSpecObject(item, see));
  if (!isJsonObject(node)) return;
  see(node);
  for (const [key, child] of Object.entries(node))
    if (key !== 'example' && key !== 'examples') forEachSpecObject(child, see);
}
