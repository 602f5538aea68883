import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { releaseMessage } from '@mpop/contracts';
import { Client } from '../packages/server/test/helpers/app.js';
import { miniProgramZip, packageForm } from '../packages/server/test/helpers/packages.js';
import { absent, browserAvailable, hasText, opened, rowAction, startE2E, visible, type E2E, pressIn } from './helpers.js';

/**
 * Release keys in the console: an organisation's owner registers and removes them from the Developer Backend, a
 * developer of the organisation only sees them, and each version shows whether it carries a release signature.
 */
describe.runIf(browserAvailable)('release keys in Chromium: an owner registers a key, versions show their signature', () => {
  let e: E2E;
  let admin: Client;
  let id: string;
  const passwords = { owen: 'owen-password-12345', devi: 'devi-password-12345' };
  const key = generateKeyPairSync('ed25519');
  const publicPem = key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const fingerprint = createHash('sha256')
    .update(key.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

  beforeAll(async () => {
    e = await startE2E();
    admin = await Client.signIn(e.server.app);
    for (const [username, password] of Object.entries(passwords)) {
      expect((await admin.post('/api/v1/users', { username, password })).statusCode).toBe(201);
    }
    const org = (await admin.post('/api/v1/organisations', { name: 'Signed Vendors', owner: 'owen' })).json();
    expect((await admin.put(`/api/v1/organisations/${org.orgId}/members/devi`, { role: 'developer' })).statusCode).toBe(200);
    id = (await admin.post('/api/v1/mini-programs', { name: 'Ledger', orgId: org.orgId })).json().miniProgramId;
    // Uploaded before the organisation had a key: unsigned.
    expect(
      (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.1' }, await miniProgramZip()))).statusCode,
    ).toBe(201);
  });
  afterAll(() => e?.close());

  async function pageAs(username: string, password: string) {
    const context = await e.browser.newContext({ baseURL: e.baseUrl, locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto('/');
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await visible(page.getByRole('heading', { name: 'My Mini Programs' }));
    return page;
  }
  const keysDialog = async (page: Page) => {
    await page.getByRole('button', { name: 'Release keys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Release keys · Signed Vendors' });
    // Its buttons are clicked next: a click while it opens may be lost.
    await opened(dialog);
    return dialog;
  };
  const versionsDialog = async (page: Page) => {
    await page.reload();
    await visible(page.getByRole('row', { name: /Ledger/ }));
    await rowAction(page, /Ledger/, 'Versions');
    const dialog = page.getByRole('dialog', { name: 'Versions · Ledger' });
    await visible(dialog.getByRole('row', { name: /1\.0\.0\.1/ }));
    return dialog;
  };

  it('the owner refuses a pasted private key, adds the public key, and versions show signed and unsigned; a developer only reads', async () => {
    const owen = await pageAs('owen', passwords.owen);
    let dialog = await keysDialog(owen);
    await visible(dialog.getByText('No release keys: uploads need no release signature.'));
    const pem = dialog.getByLabel('Public key (PEM)');

    await pem.fill(key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    await dialog.getByRole('button', { name: 'Add release key' }).click();
    await visible(dialog.getByText(/This is a private key, and it was not stored/));
    await absent(dialog.getByRole('row', { name: new RegExp(fingerprint) }));

    await pem.fill(publicPem);
    await dialog.getByRole('button', { name: 'Add release key' }).click();
    const row = dialog.getByRole('row', { name: new RegExp(fingerprint) });
    await visible(row);
    await hasText(row, /Ed25519/);
    await hasText(row, /owen/);
    await dialog.getByRole('button', { name: 'Close' }).last().click();

    // A version signed with the key (as the vendor's CI uploads it).
    const zip = await miniProgramZip('pages/ledger/ledger');
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const releaseSignature = sign(null, Buffer.from(releaseMessage(id, '1.0.0.2', sha256)), key.privateKey).toString('base64');
    expect(
      (await admin.post(`/api/v1/mini-programs/${id}/packages`, packageForm({ version: '1.0.0.2', releaseSignature }, zip))).statusCode,
    ).toBe(201);

    const versions = await versionsDialog(owen);
    await hasText(versions.getByRole('row', { name: /1\.0\.0\.2/ }), new RegExp(`Signed · ${fingerprint.slice(0, 12)}`));
    await hasText(versions.getByRole('row', { name: /1\.0\.0\.1/ }), /Unsigned/);
    await versions.getByRole('button', { name: 'Close' }).last().click();

    // A developer of the organisation sees the key, but can neither add nor remove one.
    const devi = await pageAs('devi', passwords.devi);
    dialog = await keysDialog(devi);
    await visible(dialog.getByRole('row', { name: new RegExp(fingerprint) }));
    await absent(dialog.getByRole('button', { name: 'Add release key' }));
    await absent(dialog.getByRole('button', { name: 'Remove' }));

    // The owner removes it, after confirming: the signed version now shows its key as removed.
    dialog = await keysDialog(owen);
    await dialog
      .getByRole('row', { name: new RegExp(fingerprint) })
      .getByRole('button', { name: 'Remove' })
      .click();
    await pressIn(owen.getByRole('dialog').filter({ hasText: `Remove the release key ${fingerprint.slice(0, 12)}` }), 'Remove');
    await visible(dialog.getByText('No release keys: uploads need no release signature.'));
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    const after = await versionsDialog(owen);
    await hasText(after.getByRole('row', { name: /1\.0\.0\.2/ }), /Key removed/);
  });
});
