// @vitest-environment jsdom
/**
 * The master editor against the REAL core in this process (main/testing/in-process-core.ts):
 * the STARTTLS section's rule (a pinned certificate means "required"), removing a master with
 * its confirmation, what the core writes to the config file, and a save that finishes after the
 * user moved on.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

// The core starts before the UI modules load: api.ts picks `window.nutSentinel` at import.
const harness = await vi.hoisted(async () => {
  const { startInProcessCore } = await import('../../../../main/testing/in-process-core');
  const started = await startInProcessCore({
    masters: [
      {
        id: 'nas',
        label: 'NAS',
        preset: 'generic',
        // Nothing listens on port 1: the core's session fails fast and retries quietly.
        host: '127.0.0.1',
        port: 1,
        ups: [
          {
            name: 'ups',
            role: 'monitor-only',
            password: { source: 'none' },
            // Set elsewhere (UPS detail, alert channels): the editor must keep them.
            batteryReplacedOn: '2025-03-14',
            messagePrefix: '[NAS]',
          },
        ],
      },
    ],
  });
  // `config:save` can be held, to finish a save after the user has left the editor.
  const saveGate: { held: Promise<void> | null } = { held: null };
  Object.assign(window, {
    nutSentinel: {
      ...started.api,
      async invoke(channel: string, request: unknown) {
        if (channel === 'config:save' && saveGate.held) await saveGate.held;
        return started.api.invoke(channel as never, request as never);
      },
    },
  });
  return { ...started, saveGate };
});

// jsdom does no layout, so it has no scrollIntoView.
Element.prototype.scrollIntoView = () => undefined;

const { MasterEditor } = await import('./MasterEditor');

afterEach(cleanup);
afterAll(() => harness.stop());

async function renderEditor(masterId: string | null) {
  render(<MasterEditor masterId={masterId} preset="generic" />);
  await screen.findByTestId('master-form');
}

const tlsSelect = () => screen.getByTestId<HTMLSelectElement>('master-tls');

describe('Master editor', () => {
  it('a pinned fingerprint makes TLS required, and the core saves it so', async () => {
    await renderEditor('nas');
    expect(tlsSelect().value).toBe('off');
    fireEvent.change(tlsSelect(), { target: { value: 'opportunistic' } });
    expect(tlsSelect().value).toBe('opportunistic');
    const whenOffered = () => [...tlsSelect().options].find((o) => o.value === 'opportunistic')!;
    expect(whenOffered().disabled).toBe(false);

    fireEvent.change(screen.getByLabelText('Pinned certificate fingerprint (SHA-256)'), {
      target: { value: 'AB:CD' },
    });
    expect(tlsSelect().value).toBe('required');
    expect(whenOffered().disabled).toBe(true);
    expect(whenOffered().textContent).toBe('When offered (not with a pinned certificate)');
    expect(screen.getByText(/falling back to plain text would hand the password/).isConnected).toBe(
      true,
    );

    // A malformed pin is refused in the field, and nothing reaches the file.
    fireEvent.click(screen.getByTestId('save-master'));
    expect((await screen.findByText(/32 hex byte pairs/)).isConnected).toBe(true);
    expect(JSON.stringify(await harness.savedConfig())).not.toContain('fingerprint256');

    const pin = Array.from({ length: 32 }, (_, n) =>
      n.toString(16).padStart(2, '0').toUpperCase(),
    ).join(':');
    fireEvent.change(screen.getByLabelText('Pinned certificate fingerprint (SHA-256)'), {
      target: { value: pin },
    });
    fireEvent.click(screen.getByTestId('save-master'));
    await waitFor(async () =>
      expect(await harness.savedConfig()).toMatchObject({
        masters: [
          {
            id: 'nas',
            tls: { mode: 'required', fingerprint256: pin },
            ups: [{ name: 'ups', batteryReplacedOn: '2025-03-14', messagePrefix: '[NAS]' }],
          },
        ],
      }),
    );
  });

  it('removes a master only after the confirmation; Keep leaves it', async () => {
    await renderEditor('nas');
    expect(screen.queryByTestId('confirm-remove-master')).toBeNull();
    fireEvent.click(screen.getByTestId('remove-master'));
    expect(screen.getByRole('group', { name: 'Confirm removal' }).textContent).toContain(
      'Stop monitoring NAS?',
    );
    fireEvent.click(screen.getByText('Keep'));
    expect(screen.queryByTestId('confirm-remove-master')).toBeNull();
    expect(await harness.savedConfig()).toMatchObject({ masters: [{ id: 'nas' }] });

    fireEvent.click(screen.getByTestId('remove-master'));
    fireEvent.click(screen.getByTestId('confirm-remove-master'));
    await waitFor(async () => expect(await harness.savedConfig()).toMatchObject({ masters: [] }));
    expect(window.location.hash).toBe('#/settings/masters');
  });

  it('offers no removal while adding a master', async () => {
    await renderEditor(null);
    expect(screen.queryByTestId('remove-master')).toBeNull();
    expect(screen.getByTestId('save-master').textContent).toBe('Add master');
  });

  it('a save that finishes after the user moved on keeps them where they went', async () => {
    window.location.hash = '#/settings/masters/new';
    await renderEditor(null);
    fireEvent.change(screen.getByTestId('master-label'), { target: { value: 'Late NAS' } });
    fireEvent.change(screen.getByTestId('master-host'), { target: { value: '127.0.0.1' } });
    fireEvent.change(screen.getByTestId('ups-name'), { target: { value: 'ups' } });
    let release = () => undefined as void;
    harness.saveGate.held = new Promise<void>((resolve) => (release = resolve));
    fireEvent.click(screen.getByTestId('save-master'));
    await waitFor(() => expect(screen.getByTestId('save-master').textContent).toBe('Saving…'));
    // The user opens the dashboard while the save is in flight.
    cleanup();
    window.location.hash = '#/';
    release();
    harness.saveGate.held = null;
    await waitFor(async () => {
      const saved = (await harness.savedConfig()) as { masters: { label: string }[] };
      expect(saved.masters.map((m) => m.label)).toContain('Late NAS');
    });
    // The toast may still say so; the route is the user's.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(window.location.hash).toBe('#/');
  });
});
