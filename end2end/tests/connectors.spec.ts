import { test, expect, ROLES, signIn, watchConsole } from './helpers';

// Issue 14 (first part): an admin creates a PG API connector on /connectors with the form, sees
// its card with the next five runs and its key shown only as set; ops pauses and resumes it and
// is offered no configuration. Every page visited is checked by axe-core (helpers.ts).
test('an admin creates a connector; ops pauses and resumes it', async ({ page, browser }) => {
  const consoleErrors = watchConsole(page);
  const name = `PG sandbox ${Date.now()}`;
  const secret = 'e2e-api-key-not-to-be-shown';
  await signIn(page, ROLES.admin.email);
  await page.goto('/connectors');
  await expect(page.getByRole('heading', { level: 1, name: 'Connectors' })).toBeVisible();
  await expect(page.locator('article[data-connector="AXIS SFTP"]')).toBeVisible();

  const form = page.getByRole('form', { name: 'Create a connector' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Type').selectOption('PG_API');
  await form.getByLabel('Schedule (cron)').fill('0 7 * * *');
  await form.getByLabel('Base URL').fill('http://127.0.0.1:3000/api/pg');
  await form.getByLabel('Merchant codes (comma-separated)').fill('MER001, MER002');
  await form.getByLabel('API key').fill(secret);
  await form.getByRole('button', { name: 'Create connector' }).click();
  await expect(page.getByTestId('notice')).toContainText(`Connector "${name}" created.`);

  const card = page.locator(`article[data-connector="${name}"]`);
  await expect(card).toBeVisible();
  await expect(card.getByTestId('next-runs').locator('li')).toHaveCount(5);
  await expect(card.getByTestId('next-runs').locator('li').first()).toContainText('07:00');
  await expect(card).toContainText('MER001, MER002');
  await expect(card).toContainText('•••• set on');
  expect(await page.content()).not.toContain(secret);

  const ops = await browser.newPage();
  const opsConsole = watchConsole(ops);
  await signIn(ops, ROLES.ops.email);
  await ops.goto('/connectors');
  await expect(ops.getByRole('heading', { name: 'New connector' })).toHaveCount(0);
  const opsCard = ops.locator(`article[data-connector="${name}"]`);
  await opsCard.getByRole('button', { name: 'Pause' }).click();
  await expect(ops.getByTestId('notice')).toContainText('paused');
  await expect(opsCard.getByTestId('next-runs')).toContainText('Paused');
  await expect(opsCard.getByTestId('health')).toHaveText('FAILING');
  await expect(opsCard.getByTestId('health-reason')).toContainText('paused');
  await opsCard.getByRole('button', { name: 'Resume' }).click();
  await expect(ops.getByTestId('notice')).toContainText('resumed');
  await expect(opsCard.getByTestId('next-runs').locator('li')).toHaveCount(5);
  opsConsole.check();
  await ops.close();
  consoleErrors.check();
});
