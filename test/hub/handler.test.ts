import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, defineWorkflow, type Hub, SYSTEM_ACTOR, z } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';

const echo = defineWorkflow({
  name: 'echo',
  fields: z.object({ text: z.string() }),
  plan: () => [{ type: 'say' }],
  tasks: { say: (ctx) => ({ changed: false, result: ctx.job.fields.text }) },
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * What Express does for `app.use('/ops', handler)`, in a few lines of node:http (Express is
 * not a dependency): strip the mount path from `url`, keep it in `baseUrl`, and let other
 * paths reach the app's own routes.
 */
function mountAt(path: string, handler: (request: IncomingMessage, response: ServerResponse) => void) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '/';
    if (url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`)) {
      Object.assign(request, { baseUrl: path, originalUrl: url, url: url.slice(path.length) || '/' });
      handler(request, response);
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('the app itself');
    }
  };
}

describe('hub.handler for node:http and Express-style apps', () => {
  let hub: Hub | null = null;
  let server: Server | null = null;
  afterEach(async () => {
    await hub?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(null)));
    hub = null;
    server = null;
  });

  it('serves the API at the root of an http server, with its access rules', async () => {
    hub = await createHub({ db: ':memory:', workflows: [echo], console: false });
    const served = await serve(hub.handler);
    server = served.server;
    expect((await (await fetch(`${served.url}/health`)).json()).status).toBe('ok');
    expect((await fetch(`${served.url}/api/v1/jobs`)).status).toBe(401);
    const { token } = await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'ops', role: 'operator' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${served.url}/api/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ workflow: 'echo', fields: { text: 'hi' } }) });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: number };
    await hub.startWorker({ isolation: 'in-process', pollWaitMs: 100 });
    expect((await hub.waitForJob(job.id)).state).toBe('success');
    const bad = await fetch(`${served.url}/api/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ workflow: 'echo', fields: {} }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('SWY_ERR_WORKFLOW_FIELDS');
  });

  it("serves under an Express mount path, leaving the app's other paths alone", async () => {
    hub = await createHub({ db: ':memory:', workflows: [echo] });
    const served = await serve(mountAt('/ops', hub.handler));
    server = served.server;
    expect(await (await fetch(`${served.url}/reports`)).text()).toBe('the app itself');
    expect((await (await fetch(`${served.url}/ops/health`)).json()).status).toBe('ok');
    const { token } = await hub.engine.auth.createToken(SYSTEM_ACTOR, { name: 'admin', role: 'admin' });
    const listed = await fetch(`${served.url}/ops/api/v1/jobs?limit=5`, { headers: { authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect((await listed.json()).items).toEqual([]);
    const unknown = await fetch(`${served.url}/ops/api/v1/nothing-here`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
    // The console (when built) names its mount in <base href>, so its assets and API calls stay under /ops.
    const shell = await fetch(`${served.url}/ops/jobs`);
    if (shell.status === 200) expect(await shell.text()).toContain('<base href="/ops/" />');
  });
});
