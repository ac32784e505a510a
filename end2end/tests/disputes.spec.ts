import type { Page } from '@playwright/test';
import { test, expect, kpi, ROLES, signIn, watchConsole } from './helpers';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');

async function openDisputes(page: Page) {
  await signIn(page, ROLES.ops.email);
  await expect(page).toHaveURL(/\/overview$/);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Disputes', exact: true }).click();
  await expect(page).toHaveURL(/\/disputes$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Disputes' })).toBeVisible();
}

test('the disputes journey: checklist KPIs, open a case, upload evidence, submit representment, see the timeline', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await openDisputes(page);

  // The 52 demo cases and the staging checklist's KPIs, the same on the page and in the API.
  expect(await kpi(page, 'kpi-open')).toBe(28);
  expect(await kpi(page, 'kpi-evidence-required')).toBe(12);
  await expect(page.getByTestId('kpi-disputed')).toContainText('₹11,71,804.24');
  await expect(page.getByTestId('kpi-recovered')).toContainText('₹3,86,375.70');
  await expect(page.getByTestId('kpi-written-off')).toContainText('₹2,55,142.69');
  await expect(page.getByTestId('list-summary')).toHaveText('Showing 1–25 of 52 cases');
  const api = await (await page.request.get('/api/disputes/v1/chargebacks/kpis')).json();
  expect(api).toEqual({
    openCount: 28,
    evidenceRequiredCount: 12,
    disputedPaise: '117180424',
    recoveredPaise: '38637570',
    writtenOffPaise: '25514269',
  });

  // The "Evidence required" tab lists the 12 such cases.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('navigation', { name: 'Status' }).getByRole('link', { name: /Evidence required/ }).click();
  await expect(page).toHaveURL(/status=evidence_required/);
  await expect(page.getByTestId('list-summary')).toHaveText('Showing 1–12 of 12 cases');

  // Open the first one.
  const first = page.getByTestId('cases').locator('tbody tr').first();
  const caseRef = (await first.getAttribute('data-case-ref'))!;
  await first.getByRole('link', { name: caseRef }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Dispute ${caseRef}` })).toBeVisible();
  await expect(page.getByTestId('case-status')).toHaveText('Evidence required');
  await expect(page.getByTestId('case-summary')).toContainText('Reason');
  // Representment is not offered before there is evidence.
  await expect(page.getByRole('button', { name: 'Move to Representment submitted' })).toHaveCount(0);

  // Upload an evidence PDF.
  await page.getByLabel(/Evidence file/).setInputFiles({ name: 'delivery-proof.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByTestId('notice')).toHaveText('Uploaded delivery-proof.pdf.');
  const evidence = page.getByTestId('evidence');
  await expect(evidence.getByRole('link', { name: 'delivery-proof.pdf' })).toBeVisible();

  // The file downloads as an attachment with its name.
  const download = page.waitForEvent('download');
  await evidence.getByRole('link', { name: 'delivery-proof.pdf' }).click();
  expect((await download).suggestedFilename()).toBe('delivery-proof.pdf');

  // Move it to representment submitted; the page updates in place and the timeline shows it.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('form', { name: 'Change status' }).getByLabel('Note (optional)').fill('Proof of delivery sent');
  await page.getByRole('button', { name: 'Move to Representment submitted' }).click();
  await expect(page.getByTestId('case-status')).toHaveText('Representment submitted');
  const latest = page.getByTestId('timeline').locator('li').first();
  await expect(latest).toHaveAttribute('data-action', 'status_changed');
  await expect(latest).toContainText('Priya Sharma');
  await expect(latest).toContainText('uiStatus: Representment submitted');
  await expect(latest).toContainText('Proof of delivery sent');
  await expect(page.getByTestId('timeline').locator('li[data-action="document_added"]')).toHaveCount(1);

  // A step the lifecycle does not allow is not offered; the next one is.
  await expect(page.getByRole('button', { name: 'Move to Won' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Move to Pending bank' })).toBeVisible();

  // Back on the list, the counts moved: 11 evidence required now.
  await page.goto('/disputes');
  expect(await kpi(page, 'kpi-evidence-required')).toBe(11);

  // Navigation by the main menu to a page with no query parameters works too.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview', exact: true }).click();
  await expect(page).toHaveURL(/\/overview$/);
  const overview = await (await page.request.get('/api/overview/overview')).json();
  await expect(page.getByTestId('disputes-open')).toHaveText(overview.disputes.open.toLocaleString('en-IN'));
  consoleErrors.check();
});

test('the SLA strip filters the list, and the CSV export holds the filtered rows', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await openDisputes(page);
  const strip = page.getByTestId('sla-strip');
  for (const bucket of ['overdue', 'today', 'tomorrow', '2-3d']) {
    const count = Number(await strip.getByTestId(`sla-${bucket}`).locator('[data-sla-count]').innerText());
    expect(count, `${bucket} has demo cases`).toBeGreaterThan(0);
  }
  const overdue = Number(await strip.getByTestId('sla-overdue').locator('[data-sla-count]').innerText());
  await strip.getByTestId('sla-overdue').click();
  await expect(page).toHaveURL(/sla=overdue/);
  await expect(page.getByTestId('list-summary')).toHaveText(`Showing 1–${overdue} of ${overdue} cases`);
  const rows = page.getByTestId('cases').locator('tbody tr');
  await expect(rows).toHaveCount(overdue);
  for (const text of await rows.allInnerTexts()) expect(text).toContain('overdue');

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^chargebacks-\d{8}\.csv$/);
  const fs = await import('fs');
  const lines = fs.readFileSync((await file.path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toContain('case_ref,network_case_id,network');
  expect(lines.length - 1).toBe(overdue);
  consoleErrors.check();
});

test('an auditor reads a case but is offered no actions, and the server refuses them anyway', async ({ page }) => {
  const consoleErrors = watchConsole(page);
  await signIn(page, ROLES.auditor.email);
  await expect(page).toHaveURL(/\/overview$/);
  await page.goto('/disputes');
  await expect(page.getByRole('heading', { name: 'Import an acquirer file' })).toHaveCount(0);
  const first = page.getByTestId('cases').locator('tbody tr').first();
  await first.locator('a').first().click();
  await expect(page.getByText('Your role reads this case; it cannot change it.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Upload' })).toHaveCount(0);
  const id = page.url().split('/disputes/')[1];
  const refused = await page.request.post(`/api/disputes/v1/chargebacks/${id}/actions`, {
    data: { action: 'note', note: 'sneaky' },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(refused.status()).toBe(403);
  consoleErrors.check();
});
