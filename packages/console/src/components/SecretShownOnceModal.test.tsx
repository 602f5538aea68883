import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithProviders } from '../test/render';
import { SecretShownOnceModal } from './SecretShownOnceModal';

describe('SecretShownOnceModal', () => {
  it('shows the whole secret in a box that wraps, with Copy and the warning, and copies it whole', async () => {
    const secret = `whsec_${'x'.repeat(120)}`;
    const user = userEvent.setup({ delay: null }); // with its stand-in clipboard
    renderWithProviders(
      <SecretShownOnceModal
        open
        title="Webhook Added"
        warning="This is the only time the signing secret is shown."
        secret={secret}
        label="Signing secret"
        copyLabel="Copy Secret"
        onClose={() => undefined}
      />,
    );
    const box = screen.getByRole('textbox', { name: 'Signing secret' }) as HTMLTextAreaElement;
    expect(box.tagName).toBe('TEXTAREA'); // wraps: nothing hidden behind the end of a one-line field
    expect(box.value).toBe(secret);
    expect(box.readOnly).toBe(true);
    expect(screen.getByText('This is the only time the signing secret is shown.')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Copy Secret' }));
    expect(await navigator.clipboard.readText()).toBe(secret);
  });
});
