import { test, expect, ROLES, signIn, watchConsole } from './helpers';

// Issue 15: an admin creates a user, who signs in and changes their password; the admin disables
// them and their open session is signed out on their next click; an auditor filters the audit log
// to that admin's actions, sees each one, and "Verify chain" says the chain is whole.
test('users are created, change their password, and are disabled; the auditor sees it all and the chain is whole', async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const consoleErrors = watchConsole(page);
  const email = `e2e.${Date.now()}@settlepaisa.test`;
  const first = 'First-Password-2026';
  const second = 'Second-Password-2026';

  await signIn(page, ROLES.admin.email);
  await page.goto('/settings');
  const create = page.getByRole('form', { name: 'Create a user' });
  await create.getByLabel('E-mail').fill(email);
  await create.getByLabel('Name').fill('E2E Analyst');
  await create.getByLabel('Initial password').fill(first);
  await create.getByLabel('Operations').check();
  await create.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('notice')).toContainText(`User ${email} created.`);
  const row = page.locator(`tr[data-user="${email}"]`);
  await expect(row.getByTestId('roles')).toHaveText('Operations');
  await expect(row.getByTestId('status')).toHaveText('Active');

  // The new user, in a browser of their own, signs in and changes their password.
  const theirs = await browser.newContext({ baseURL });
  const user = await theirs.newPage();
  await signIn(user, email, first);
  await expect(user).toHaveURL(/\/overview$/);
  await user.getByTestId('signed-in-user').click();
  await expect(user.getByRole('heading', { level: 1, name: 'Your profile' })).toBeVisible();
  const change = user.getByRole('form', { name: 'Change your password' });
  await change.getByLabel('Current password').fill(first);
  await change.getByLabel('New password', { exact: true }).fill(second);
  await change.getByLabel('New password again').fill(second);
  await change.getByRole('button', { name: 'Change password' }).click();
  await expect(user.getByTestId('notice')).toContainText('Password changed');

  // The admin disables them; their next click lands on the sign-in page.
  await page.reload();
  await row.getByText('Manage').click();
  await row.getByRole('form', { name: `Disable ${email}` }).getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByTestId('notice')).toContainText(`${email} disabled`);
  await expect(page.locator(`tr[data-user="${email}"]`).getByTestId('status')).toHaveText('Disabled');
  await user.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
  await expect(user).toHaveURL(/\/login/);
  await theirs.close();

  // The auditor filters the log to the admin's actions and sees each of them.
  const auditorContext = await browser.newContext({ baseURL });
  const auditor = await auditorContext.newPage();
  await signIn(auditor, ROLES.auditor.email);
  await auditor.goto('/audit');
  await auditor.getByLabel('Actor (e-mail)').fill(ROLES.admin.email);
  await auditor.getByRole('button', { name: 'Apply' }).click();
  await expect(auditor).toHaveURL(/actor=admin%40settlepaisa\.test/);
  const log = auditor.getByTestId('audit-log');
  for (const action of ['user.create', 'user.disable', 'auth.sign_in']) {
    await expect(log.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }
  const actors = await log.locator('tbody tr td:nth-child(2) span:first-child').allInnerTexts();
  expect(actors.length).toBeGreaterThan(2);
  expect(new Set(actors)).toEqual(new Set([ROLES.admin.email]));
  // The disable row opens its before/after.
  const disabled = log.locator('tr[data-action="user.disable"]').first();
  await disabled.getByText(/field/).click();
  await expect(disabled.getByTestId('diff')).toContainText('active');
  await auditor.getByRole('button', { name: 'Verify chain' }).click();
  await expect(auditor.getByRole('heading', { level: 1, name: 'Verify the audit chain' })).toBeVisible();
  await expect(auditor.getByTestId('chain-result')).toContainText('The chain is whole');
  await auditorContext.close();
  consoleErrors.check();
});
