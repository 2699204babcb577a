/**
 * Where to go after signing in. Only paths inside the console are honoured, so a crafted
 * link cannot send the user to another site.
 */
export function safeNext(next: string | null): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/';
  return next;
}
