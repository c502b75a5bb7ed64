/** The master editor's "What shares the UPS?" choice, with the chosen preset's hints. */
import { MASTER_PRESETS } from '../../../../shared/config';
import { Callout, RichText } from '../../components/common';
import type { PresetName } from '../../router';

export function PresetPicker({
  preset,
  radioName,
  onChoose,
}: {
  preset: PresetName;
  radioName: string;
  onChoose: (preset: PresetName) => void;
}) {
  const presetInfo = MASTER_PRESETS[preset];
  return (
    <fieldset className="preset-picker" data-testid="preset-picker">
      <legend>What shares the UPS?</legend>
      <div className="preset-options">
        {(['synology', 'proxmox', 'generic'] as const).map((p) => (
          <label key={p} className={`preset-option${preset === p ? ' is-selected' : ''}`}>
            <input
              type="radio"
              name={radioName}
              value={p}
              checked={preset === p}
              onChange={() => onChoose(p)}
              data-testid={`preset-${p}`}
            />
            <span className="preset-name">{MASTER_PRESETS[p].label}</span>
            <span className="preset-desc">
              {p === 'synology'
                ? 'DSM’s “Network UPS server”'
                : p === 'proxmox'
                  ? 'nut-server on the PVE host'
                  : 'Any upsd (Debian, TrueNAS, pfSense, a Raspberry Pi…)'}
            </span>
          </label>
        ))}
      </div>
      {presetInfo.hints.length > 0 && (
        <Callout
          tone="info"
          title={`Before you start on the ${presetInfo.label}`}
          testId="preset-hints"
        >
          <ul className="hint-list">
            {presetInfo.hints.map((h) => (
              <li key={h}>
                <RichText text={h} />
              </li>
            ))}
          </ul>
        </Callout>
      )}
    </fieldset>
  );
}
