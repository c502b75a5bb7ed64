// @vitest-environment jsdom
/**
 * The forms of the Commands tab against the REAL core in this process
 * (main/testing/in-process-core.ts): a writable setting's bounded input, the self-test schedule
 * (off by default, saved into the config file), and a master that does not answer.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { UpsSnapshot } from '../../../../shared/snapshot';
import type { UpsControls, UpsWritable } from '../../../../shared/ups-commands';

const harness = await vi.hoisted(async () => {
  const { startInProcessCore } = await import('../../../../main/testing/in-process-core');
  const started = await startInProcessCore({
    // Port 1 on loopback: nothing listens, the session stays unreachable.
    masters: [
      {
        id: 'lab',
        label: 'Lab',
        host: '127.0.0.1',
        port: 1,
        ups: [{ name: 'ups', role: 'monitor-only' }],
      },
    ],
    timing: { connectTimeoutSeconds: 1, requestTimeoutSeconds: 1 },
  });
  Object.assign(window, { nutSentinel: started.api });
  return started;
});

const { ControlsTab, WritableRow } = await import('./ControlsTab');
const { SelfTestsSection } = await import('./SelfTestsSection');

afterEach(cleanup);
afterAll(() => harness.stop());

const ups = () => harness.core.snapshot().ups[0] as UpsSnapshot;

const controls: UpsControls = {
  monitorId: 'lab/ups',
  upsName: 'ups',
  commands: [
    {
      name: 'test.battery.start.quick',
      description: 'Start a quick battery test',
      danger: null,
      timedMute: false,
    },
    {
      name: 'load.off',
      description: 'Turn off the load immediately',
      danger: 'cuts-power',
      timedMute: false,
    },
  ],
  writable: [],
  tracking: true,
  server: { version: 'Network UPS Tools upsd 2.8.0', protVer: '1.3' },
  storedCredentialUser: null,
  canRemember: true,
};

describe('WritableRow', () => {
  const range: UpsWritable = {
    name: 'ups.delay.shutdown',
    value: '20',
    description: 'Interval to wait after shutdown with delay command',
    input: 'range',
    choices: [],
    ranges: [{ min: 0, max: 600 }],
    maxLength: null,
  };

  it('bounds a RANGE input, refuses an out-of-range value with the range, sends a good one', async () => {
    const onSet = vi.fn(() => Promise.resolve());
    render(<WritableRow variable={range} result={undefined} canSend onSet={onSet} />);
    const input = screen.getByTestId<HTMLInputElement>('writable-input');
    expect(input.type).toBe('number');
    expect([input.min, input.max]).toEqual(['0', '600']);
    expect(screen.getByText(/Allowed: 0–600/).isConnected).toBe(true);
    const set = screen.getByTestId<HTMLButtonElement>('writable-set');
    expect(set.disabled).toBe(true); // unchanged
    fireEvent.change(input, { target: { value: '900' } });
    fireEvent.click(set);
    expect(await screen.findByText('Out of range: the UPS accepts 0–600.')).toBeTruthy();
    expect(onSet).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: '45' } });
    fireEvent.click(set);
    expect(onSet).toHaveBeenCalledWith(range, '45');
  });

  it('offers an ENUM as a choice of its values', () => {
    const onSet = vi.fn(() => Promise.resolve());
    const enumVar: UpsWritable = {
      ...range,
      name: 'ups.beeper.status',
      value: 'enabled',
      input: 'enum',
      choices: ['enabled', 'disabled', 'muted'],
      ranges: [],
    };
    render(<WritableRow variable={enumVar} result={undefined} canSend onSet={onSet} />);
    const select = screen.getByTestId<HTMLSelectElement>('writable-input');
    expect(select.tagName).toBe('SELECT');
    expect([...select.options].map((o) => o.value)).toEqual(['enabled', 'disabled', 'muted']);
    fireEvent.change(select, { target: { value: 'muted' } });
    fireEvent.click(screen.getByTestId('writable-set'));
    expect(onSet).toHaveBeenCalledWith(enumVar, 'muted');
  });

  it('cannot send without a credential', () => {
    render(
      <WritableRow
        variable={range}
        result={undefined}
        canSend={false}
        onSet={() => Promise.resolve()}
      />,
    );
    fireEvent.change(screen.getByTestId('writable-input'), { target: { value: '45' } });
    expect(screen.getByTestId<HTMLButtonElement>('writable-set').disabled).toBe(true);
  });
});

describe('Self-test schedule', () => {
  it('is off by default; a bad value is explained and not saved; a good one lands in the config file', async () => {
    render(<SelfTestsSection ups={ups()} controls={controls} credential={null} />);
    const enabled = await screen.findByTestId<HTMLInputElement>('self-test-enabled');
    expect(enabled.checked).toBe(false);
    expect(screen.getByTestId('self-test-next').textContent).toBe('No test is scheduled.');
    expect(screen.getByText('No self-test has run yet.').isConnected).toBe(true);
    const options = [...screen.getByTestId<HTMLSelectElement>('self-test-command').options];
    expect(options.map((o) => o.value)).toEqual(['auto', 'test.battery.start.quick']);

    fireEvent.click(enabled);
    fireEvent.change(screen.getByTestId('self-test-every'), { target: { value: '0' } });
    fireEvent.click(screen.getByTestId('self-test-save'));
    expect(await screen.findByText('Whole days from 1 to 366 (30: monthly).')).toBeTruthy();
    await expect(harness.savedConfig()).resolves.not.toMatchObject({
      masters: [{ ups: [{ selfTest: { enabled: true } }] }],
    });

    fireEvent.change(screen.getByTestId('self-test-every'), { target: { value: '7' } });
    fireEvent.change(screen.getByTestId('self-test-command'), {
      target: { value: 'test.battery.start.quick' },
    });
    fireEvent.click(screen.getByTestId('self-test-save'));
    await waitFor(() =>
      expect(harness.savedConfig()).resolves.toMatchObject({
        masters: [
          {
            ups: [
              {
                selfTest: {
                  enabled: true,
                  everyDays: 7,
                  command: 'test.battery.start.quick',
                  minChargePercent: 90,
                },
              },
            ],
          },
        ],
      }),
    );
    await waitFor(() =>
      expect(screen.getByTestId('self-test-next').textContent).not.toBe('No test is scheduled.'),
    );
  });
});

describe('Commands tab', () => {
  it('says so when the master does not answer', async () => {
    render(<ControlsTab ups={ups()} />);
    const error = await screen.findByTestId('controls-error', undefined, { timeout: 10_000 });
    expect(error.textContent).toMatch(/127\.0\.0\.1|refused|reach/i);
  });
});
