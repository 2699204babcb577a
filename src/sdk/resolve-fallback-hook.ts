/**
 * A module resolution hook (node:module register) for user workflow modules: resolves
 * normally, and only when that fails for one of the mapped package names, answers this
 * installation's copy. See load-workflows.ts.
 */
let fallbacks: Record<string, string> = {};

export function initialize(data: Record<string, string>): void {
  fallbacks = data;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await next(specifier, context);
  } catch (error) {
    const fallback = fallbacks[specifier];
    if (fallback) return { url: fallback, shortCircuit: true };
    throw error;
  }
}
