// @vitest-environment jsdom
/**
 * The General settings form (a useSectionForm section with its SaveBar) against the REAL core in
 * this process (main/testing/in-process-core.ts): typing, validation messages, the save bar's
 * states, and what the core writes to the config file.
 */
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

// The core starts before the UI modules load: api.ts picks `window.nutSentinel` at import.
const harness = await vi.hoisted(async () => {
  const { startInProcessCore } = await import('../../../../main/testing/in-process-core');
  const started = await startInProcessCore({ timing: { statusPollSeconds: 2 } });
  Object.assign(window, { nutSentinel: started.api });
  return started;
});

// jsdom does no layout, so it has no scrollIntoView: record where the form scrolls to instead.
const scrolledTo: Element[] = [];
Element.prototype.scrollIntoView = function (this: Element) {
  scrolledTo.push(this);
};

const { GeneralSettings } = await import('./GeneralSettings');

afterEach(cleanup);
afterAll(() => harness.stop());

const saveButton = () => screen.getByTestId<HTMLButtonElement>('save-settings');
const statusPoll = () => screen.getByLabelText<HTMLInputElement>('Status every (s)');

async function renderForm() {
  render(<GeneralSettings />);
  await screen.findByTestId('general-form');
}

describe('General settings form', () => {
  it('loads the saved values; Save stays disabled until something changes', async () => {
    await renderForm();
    expect(statusPoll().value).toBe('2');
    expect(screen.getByLabelText<HTMLInputElement>('Keep for (days)').value).toBe('30');
    expect(saveButton().disabled).toBe(true);
    expect(screen.queryByText('Discard changes')).toBeNull();
    expect(screen.queryByTestId('save-issues')).toBeNull();
  });

  it('shows a field error only after a save attempt, and does not send an invalid value', async () => {
    await renderForm();
    fireEvent.change(statusPoll(), { target: { value: '0' } });
    expect(saveButton().disabled).toBe(false);
    expect(screen.getByText('Discard changes').isConnected).toBe(true);
    // Typing alone does not scold.
    expect(statusPoll().hasAttribute('aria-invalid')).toBe(false);

    fireEvent.click(saveButton());
    const issues = await screen.findByTestId('save-issues');
    expect(issues.textContent).toBe('One problem to fix before saving (highlighted above).');
    expect(statusPoll().getAttribute('aria-invalid')).toBe('true');
    const field = statusPoll().closest('.field')!;
    expect(within(field as HTMLElement).getByText('At least 0.1.').isConnected).toBe(true);
    // The refused submit brings the first invalid field into view and focuses it.
    await waitFor(() => expect(document.activeElement).toBe(statusPoll()));
    expect(scrolledTo.at(-1)).toBe(statusPoll());
    // Nothing reached the file.
    await expect(harness.savedConfig()).resolves.toMatchObject({
      timing: { statusPollSeconds: 2 },
    });

    // An emptied number field is its own message.
    fireEvent.change(statusPoll(), { target: { value: '' } });
    expect(within(field as HTMLElement).getByText('Enter a number.').isConnected).toBe(true);
  });

  it('saves a valid change through the core, then shows Saved and disables Save again', async () => {
    await renderForm();
    fireEvent.change(statusPoll(), { target: { value: '1.5' } });
    fireEvent.change(screen.getByLabelText('Keep at most (events)'), {
      target: { value: '5000' },
    });
    fireEvent.click(saveButton());
    await screen.findByTestId('saved-note');
    expect(saveButton().disabled).toBe(true);
    expect(screen.queryByText('Discard changes')).toBeNull();
    expect(await harness.savedConfig()).toMatchObject({
      timing: { statusPollSeconds: 1.5 },
      history: { maxEvents: 5000 },
    });
    // The core runs on the new settings.
    const { config } = await harness.core.handlers['config:get'](undefined);
    expect(config.timing.statusPollSeconds).toBe(1.5);

    // A new edit hides the Saved note again.
    fireEvent.change(statusPoll(), { target: { value: '3' } });
    expect(screen.queryByTestId('saved-note')).toBeNull();
  });

  it('Discard changes puts the saved values back and clears the errors', async () => {
    await renderForm();
    const before = statusPoll().value;
    fireEvent.change(statusPoll(), { target: { value: '999' } });
    fireEvent.click(saveButton());
    await screen.findByTestId('save-issues');
    expect(screen.getByText('At most 60.').isConnected).toBe(true);
    fireEvent.click(screen.getByText('Discard changes'));
    await waitFor(() => expect(statusPoll().value).toBe(before));
    expect(screen.queryByTestId('save-issues')).toBeNull();
    expect(saveButton().disabled).toBe(true);
  });
});
