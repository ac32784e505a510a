import { writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test, expect, ROLES, signIn, watchConsole } from './helpers';

// Issue 14: an admin points a BANK_SFTP connector at the suite's real sshd (scripts/test.sh starts
// it; E2E_SFTP_*), tests it (the host key is pinned, the new file listed), runs it; the run
// history shows the ingested file, the recon run it queued completes, and Overview shows the
// connector's health. Every page visited is checked by axe-core (helpers.ts).
test('an admin sets up an SFTP connector, tests and runs it; its recon run completes', async ({ page }) => {
  const { E2E_SFTP_PORT: port, E2E_SFTP_USER: user, E2E_SFTP_PASSWORD: password, E2E_SFTP_DIR: dir } = process.env;
  expect(port && user && password && dir, 'scripts/test.sh starts the SFTP server').toBeTruthy();
  const consoleErrors = watchConsole(page);

  // Yesterday in IST: the cycle a run fetches by default (its bank file has not arrived in the demo).
  const cycle = new Date(Date.now() + 5.5 * 3600_000 - 24 * 3600_000).toISOString().slice(0, 10);
  const [y, m, d] = cycle.split('-');
  const file = `AXIS_SETTLE_${cycle}_01.csv`;
  const lines = ['TXNID,CREDIT_AMT,NET_CR_AMT,POST_DATE,VALUE_DATE,UTR,RRN,REMARKS'];
  for (let i = 1; i <= 3; i++) lines.push(`AXE2E${Date.now()}${i},${100 + i}.00,${99 + i}.00,${d}-${m}-${y},${d}-${m}-${y},E2EUTR${Date.now()}${i},,NEFT CR`);
  const body = lines.join('\n') + '\n';
  writeFileSync(join(dir!, file), body);
  writeFileSync(join(dir!, `${file}.sha256`), `${createHash('sha256').update(body).digest('hex')}  ${file}\n`);

  const name = `AXIS e2e ${Date.now()}`;
  await signIn(page, ROLES.admin.email);
  await page.goto('/connectors');
  const form = page.getByRole('form', { name: 'Create a connector' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByRole('combobox', { name: /^Type/ }).selectOption('BANK_SFTP');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port', { exact: true }).fill(port!);
  await form.getByLabel('User', { exact: true }).fill(user!);
  await form.getByLabel('Remote directory', { exact: true }).fill('/outgoing');
  await form.getByLabel('File pattern', { exact: true }).fill('AXIS_SETTLE_{YYYY-MM-DD}_*.csv');
  await form.getByRole('combobox', { name: /^Bank layout/ }).selectOption('AXIS SFTP settlement');
  await form.getByLabel('Password', { exact: true }).fill(password!);
  await form.getByRole('button', { name: 'Create connector' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Connector "${name}" created.`);

  const card = page.locator(`article[data-connector="${name}"]`);
  await expect(card).toContainText('not pinned yet');
  await card.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Test of "${name}" passed: ${file} (new)`);
  await expect(card).toContainText('SHA256:');
  expect(await page.content()).not.toContain(password!);

  await card.getByRole('button', { name: 'Run now' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Run of "${name}" queued`);
  // The worker takes the run within seconds; the page shows it when reloaded.
  await expect(async () => {
    await page.reload();
    // The newest row is the run (the test's row below it succeeded already).
    await expect(card.locator('tr[data-run]').first()).toContainText('SUCCEEDED', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  const history = card.getByTestId('run-history');
  await expect(history).toContainText(`${file}: ingested, 3 rows`);
  await expect(card.locator('tr[data-run]').first()).toContainText('MANUAL');

  // The recon run it queued for the cycle (the demo has the cycle's PG side) completes.
  await history.getByRole('link', { name: 'Recon run it queued' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Recon run' })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('run-status')).toContainText('completed', { timeout: 1000 });
  }).toPass({ timeout: 60_000 });

  await page.goto('/overview');
  const panel = page.getByTestId('connectors-panel').locator(`li[data-connector="${name}"]`);
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('health')).toHaveText('OK');

  // The jobs console lists the connector's and the recon's jobs.
  await page.goto('/connectors/jobs?status=succeeded');
  await expect(page.getByTestId('jobs')).toContainText('connector_run');
  await expect(page.getByTestId('jobs')).toContainText('recon_run');
  consoleErrors.check();
});
