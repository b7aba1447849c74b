// Browser test of the platform core: sign in as several demo roles in
// headless Debian Chromium, open the inbox, open a case and act on it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.YS_BASE_URL;
const shots = process.env.YS_SHOTS || '/tmp';
const password = 'Yunlan@2026';
let browser;

before(async () => {
  assert.ok(base, 'YS_BASE_URL must be set (e2e/run.sh sets it)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

async function signIn(username) {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(base + '/signin');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登录' }).click()]);
  return { context, page };
}

test('a department handler signs in, opens the inbox and a case, and acts on it', async () => {
  const { context, page } = await signIn('handler_scj');
  assert.equal(new URL(page.url()).pathname, '/work');
  await assert.doesNotReject(page.getByRole('heading', { name: '我的待办' }).waitFor());
  // Cases are listed by time left, each with a coloured time-left badge.
  const rows = page.locator('table.cases tbody tr');
  assert.ok(await rows.count() >= 3, 'the handler has several cases waiting');
  assert.ok(await page.locator('.due-overdue').count() >= 1, 'an overdue case is shown in the overdue colour');
  // Another department's case (户外广告, 城管局) is not in this handler's inbox.
  assert.equal(await page.getByText('户外广告设置').count(), 0);
  await page.screenshot({ path: `${shots}/inbox.png`, fullPage: true });

  // Open the case that waits for review and pass it.
  await page.getByRole('link', { name: /YL\d+0002/ }).click();
  await page.getByRole('heading', { name: /食品经营许可/ }).waitFor();
  const form = page.locator('form.action').filter({ hasText: '审查通过' });
  await form.getByLabel('审查意见').selectOption('符合条件');
  await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: '审查通过' }).click()]);
  await page.getByText('已办理。').waitFor();
  assert.ok(await page.getByRole('cell', { name: '审查通过' }).count() >= 1, 'history shows the action');
  await context.close();
});

test('each role lands on its own home', async () => {
  const homes = { admin: '/admin', supervisor: '/supervision', zhangsan: '/my', yunlan_food: '/my', clerk_lj: '/applications', approver_scj: '/work', operator: '/hotline/intake', dispatcher: '/hotline/dispatch' };
  for (const [user, path] of Object.entries(homes)) {
    const { context, page } = await signIn(user);
    assert.equal(new URL(page.url()).pathname, path, `${user} lands on ${path}`);
    await context.close();
  }
});

test('the language switch shows English', async () => {
  const { context, page } = await signIn('supervisor');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Supervision' }).waitFor();
  await context.close();
});

test('a wrong password is refused without saying whether the user exists', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(base + '/signin');
  await page.getByLabel('用户名').fill('handler_scj');
  await page.getByLabel('密码').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  const alert = page.getByRole('alert');
  await alert.getByText('用户名或密码不正确').waitFor();
  const known = await alert.textContent();
  assert.equal(new URL(page.url()).pathname, '/signin');
  // An unknown username gets the very same message.
  await page.getByLabel('用户名').fill('no_such_user');
  await page.getByLabel('密码').fill('wrong-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByLabel('用户名').and(page.locator('[value="no_such_user"]')).waitFor();
  assert.equal(await page.getByRole('alert').textContent(), known);
  await context.close();
});

test('on a phone, a citizen sees and ends their sessions on the account page', async () => {
  const other = await signIn('zhangsan'); // a second device
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await context.newPage();
  await page.goto(base + '/signin');
  await page.getByLabel('用户名').fill('zhangsan');
  await page.getByLabel('密码').fill(password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登录' }).click()]);
  await page.getByRole('link', { name: '张三' }).click();
  await page.getByRole('heading', { name: '我的账号' }).waitFor();
  const sessions = page.locator('li.session');
  assert.ok(await sessions.count() >= 2, 'both sessions are listed');
  assert.equal(await page.locator('li.session.current').count(), 1, 'exactly one session is marked current');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the account page scrolls sideways by ${overflow}px at 390px`);
  const box = await page.getByRole('button', { name: '修改密码' }).boundingBox();
  assert.ok(box.height >= 44, 'the submit button is touch-sized');
  await page.screenshot({ path: `${shots}/account-390.png`, fullPage: true });
  // End the other device's session: it is signed out there.
  await Promise.all([page.waitForNavigation(),
    page.locator('li.session:not(.current)').first().getByRole('button', { name: '结束此登录' }).click()]);
  await page.getByText('已结束该登录').waitFor();
  await other.page.goto(base + '/my');
  await other.page.waitForURL(/\/signin/);
  await other.context.close();
  await context.close();
});
