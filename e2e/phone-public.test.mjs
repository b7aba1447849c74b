// Phone width (390×844): the public pages — home, catalogue and guides,
// bundles, FAQ, ranking, lookup, verification. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

test('the public pages fit a phone: home, catalogue, guides, bundles, FAQ, ranking, lookup, verification', async () => {
  const { context, page } = await open('');
  await check(page, '/', 'home');
  // The front door's search goes into the catalogue search.
  await page.getByRole('searchbox', { name: '搜索办事服务' }).fill('卫生');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '搜索' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/catalog');
  assert.equal(new URL(page.url()).searchParams.get('q'), '卫生');
  await check(page, '', 'catalog-search');
  await check(page, '/signin', 'signin');
  await check(page, '/catalog', 'catalog');
  const [guide] = await hrefs(page, /^\/catalog\/items\/[^/]+$/);
  assert.ok(guide, 'the catalogue lists items');
  await check(page, guide, 'guide');
  await check(page, '/bundles', 'bundles');
  const [bundle] = await hrefs(page, /^\/bundles\/[^/]+$/);
  assert.ok(bundle, 'the demo has a bundle');
  await check(page, bundle, 'bundle');
  await check(page, '/faq', 'faq');
  const [faq] = await hrefs(page, /^\/faq\/\d+$/);
  await check(page, faq, 'faq-article');
  await check(page, '/hotline/ranking', 'ranking');
  await check(page, '/hotline/lookup', 'lookup');
  await check(page, '/verify', 'verify-form');
  await context.close();
});
