import { test, expect, kpi, numberIn, ROLES, DEMO_PASSWORD, watchConsole } from './helpers';

// Two release servers on one database, behind nginx configured from deploy/nginx-proxy.conf
// (scripts/test.sh starts them after the main suite and names them here). nginx sends each request
// to the next instance in turn and says which one answered in `X-Upstream`.
const A = process.env.INSTANCE_A_URL;
const B = process.env.INSTANCE_B_URL;
test.skip(!A || !B, 'runs only against two instances behind nginx (scripts/test.sh)');

test('two instances, one database: a session from one works on the other, and a change through one is in the other’s cached counts at once', async ({ page }) => {
  // Sign in on A.
  await page.goto(`${A}/login`);
  await page.getByLabel('Email').fill(ROLES.ops.email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(`${A}/overview`);
  // The same cookie (one host, two ports) is a session on B.
  await page.goto(`${B}/exceptions?status=open`);
  await expect(page).toHaveURL(`${B}/exceptions?status=open`);
  await expect(page.getByRole('heading', { level: 1, name: 'Exceptions' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  // B's count of the filter is now in its cache.
  const before = await numberIn(page, 'matching-total');
  expect(before).toBeGreaterThan(0);
  const href = await page.getByTestId('exceptions').locator('tbody tr a').first().getAttribute('href');
  const id = href!.split('/exceptions/')[1];

  // An action through A…
  const acted = await page.request.post(`${A}/api/recon/v1/exceptions/${id}/actions`, {
    data: { action: 'investigate' },
    headers: { Origin: A! },
  });
  expect(acted.status()).toBe(200);
  // …is in B's count on the very next page (the NOTIFY flush; no waiting, no reload loop).
  await page.goto(`${B}/exceptions?status=open`);
  expect(await numberIn(page, 'matching-total')).toBe(before - 1);
  await page.goto(`${A}/exceptions?status=open`);
  expect(await numberIn(page, 'matching-total')).toBe(before - 1);
  // And the other way: A's count of investigating exceptions, then a snooze through B.
  await page.goto(`${A}/exceptions?status=investigating`);
  const investigating = await numberIn(page, 'matching-total');
  const snoozed = await page.request.post(`${B}/api/recon/v1/exceptions/${id}/actions`, {
    data: { action: 'snooze', until: new Date(Date.now() + 3_600_000).toISOString() },
    headers: { Origin: B! },
  });
  expect(snoozed.status()).toBe(200);
  await page.goto(`${A}/exceptions?status=investigating`);
  expect(await numberIn(page, 'matching-total')).toBe(investigating - 1);
});

test('through nginx, every request goes to the next instance: a whole journey works, and a recon run is executed once', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  const servedBy = new Map<string, number>();
  page.on('response', (r) => {
    const upstream = r.headers()['x-upstream'];
    if (upstream) servedBy.set(upstream, (servedBy.get(upstream) ?? 0) + 1);
  });
  await page.goto('/login');
  await page.getByLabel('Email').fill(ROLES.admin.email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/overview$/);
  for (const [path, h1] of [
    ['/overview', 'Overview'],
    ['/exceptions', 'Exceptions'],
    ['/disputes', 'Disputes'],
    ['/settlements', 'Settlements'],
    ['/transactions', 'Transactions'],
    ['/connectors', 'Connectors'],
    ['/audit', 'Audit log'],
  ]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: h1 })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  }
  // The disputes tiles agree on both instances (each has its own cache of them).
  await page.goto('/disputes');
  const open = await kpi(page, 'kpi-open');
  await page.goto('/disputes');
  expect(await kpi(page, 'kpi-open')).toBe(open);

  // A recon run started through the balancer is run by exactly one of the two workers, once.
  const t0 = Date.now() - 1_000;
  const started = await page.request.post('/api/recon/v1/runs', {
    data: { cycleDate: '2026-01-20' },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(started.status()).toBe(202);
  const { id } = await started.json();
  await expect
    .poll(async () => (await (await page.request.get(`/api/recon/v1/runs/${id}`)).json()).status, { timeout: 30_000 })
    .toBe('completed');
  // Its job (the cycle's key; an earlier run of the cycle has its own, older job) ran once. The
  // job is marked succeeded just after the run's commit, so it is polled too.
  type Job = { kind: string; status: string; key: string | null; attempts: number; createdAt: string };
  const mine = async () =>
    ((await (await page.request.get('/api/ingest/v1/jobs')).json()).jobs as Job[]).filter(
      (j) => j.key === 'recon:2026-01-20' && Date.parse(j.createdAt) >= t0,
    );
  await expect.poll(async () => (await mine()).map((j) => j.status), { timeout: 10_000 }).toEqual(['succeeded']);
  expect((await mine())[0]).toMatchObject({ kind: 'recon_run', attempts: 1 });

  // Both instances served the journey's pages and calls.
  expect([...servedBy.keys()].sort(), JSON.stringify([...servedBy])).toHaveLength(2);
  for (const n of servedBy.values()) expect(n).toBeGreaterThan(5);
  consoleErrors.check();
});
