// Phone width (390×844): the demo enterprise's pages, and verifying its
// certificate from the front door. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

test('an enterprise\'s pages fit a phone: my cases, a bundle application form, certificates', async () => {
  const { context, page } = await open('yunlan_food');
  await check(page, '/my', 'enterprise-my');
  await check(page, '/bundles', 'enterprise-bundles');
  const [bundle] = await hrefs(page, /^\/bundles\/[^/]+$/);
  await check(page, bundle + '/apply', 'bundle-apply');
  await check(page, '/my/certificates', 'enterprise-certificates');
  const [cert] = await hrefs(page, /^\/certificates\/\d+$/);
  assert.ok(cert, 'the enterprise holds a certificate');
  await check(page, cert, 'enterprise-certificate');
  // Verify that certificate from the front door, as anyone handed it would.
  const [verify] = await hrefs(page, /^\/verify\/[^/]+$/);
  assert.ok(verify, 'the certificate page links its verification');
  const pub = await open('');
  await pub.page.goto(base + '/');
  await pub.page.getByLabel('核验码或核验链接').fill(verify.split('/').pop());
  await Promise.all([pub.page.waitForNavigation(), pub.page.getByRole('button', { name: '核验' }).click()]);
  assert.equal(new URL(pub.page.url()).pathname, verify);
  await pub.page.getByText('有效', { exact: true }).waitFor();
  await check(pub.page, '', 'verify');
  await pub.context.close();
  await context.close();
});

test('an enterprise\'s annual reports and its register entry fit a phone', async () => {
  const { context, page } = await open('yunlan_food');
  await check(page, '/annual-reports/mine', 'enterprise-annual-reports');
  const [form] = await hrefs(page, /^\/annual-reports\/mine\/\d{4}$/);
  assert.ok(form, 'the page links the report form');
  await check(page, form, 'enterprise-annual-report-form');
  const [mine] = await hrefs(page, /^\/entities\/[0-9A-Z]{18}$/);
  assert.ok(mine, 'the navigation links the business page');
  await check(page, mine, 'enterprise-business');
  await context.close();
});

test('an enterprise\'s monitoring risk prompts fit a phone', async () => {
  // The demo restaurant's cold-chain device has raised a prompt.
  const { context, page } = await open('yunlan_food');
  await check(page, '/monitoring/mine', 'enterprise-monitoring');
  assert.ok(await page.locator('main').getByText('冷').count() > 0, 'the cold-chain device\'s prompt is shown');
  await context.close();
});
