/** The import plan (main/config/import-plan.ts): what an import changes, with keep/replace choices. */
import type { ImportChoice, ImportPlan, ImportPlanItem } from '../../../../shared/ipc';
import { Callout } from '../../components/common';

const ACTION_LABEL: Record<ImportPlanItem['action'], string> = {
  add: 'add',
  merge: 'merge',
  replace: 'replace',
  remove: 'remove',
  unchanged: 'keep',
};

const ACTION_CHIP: Record<ImportPlanItem['action'], string> = {
  add: 'st-mapped',
  merge: 'st-mapped',
  replace: 'st-unsupported',
  remove: 'st-unsupported',
  unchanged: '',
};

export function ImportPlanView({
  plan,
  applied,
  busy,
  chosen,
  onChoice,
}: {
  plan: ImportPlan;
  /** true: the report of an applied import (choices shown, no longer changeable). */
  applied: boolean;
  busy: boolean;
  /** The choices made so far: shown at once, while the plan for them is on its way. */
  chosen: Readonly<Record<string, ImportChoice>>;
  onChoice: (id: string, choice: ImportChoice) => void;
}) {
  return (
    <div className="import-plan" data-testid={applied ? 'import-applied-plan' : 'import-plan'}>
      <h3>{applied ? 'What the import changed' : 'What the import will change'}</h3>
      <p data-testid="import-plan-summary">
        {plan.summary.charAt(0).toUpperCase() + plan.summary.slice(1)}.
      </p>
      {plan.problems.map((problem, i) => (
        <Callout
          key={i}
          tone={problem.severity === 'error' ? 'bad' : 'warn'}
          title={problem.message}
          testId="import-problem"
        >
          <p>{problem.fix}</p>
        </Callout>
      ))}
      {plan.items.length > 0 && (
        <ul className="plan-list">
          {plan.items.map((item) => (
            <li
              key={item.id}
              className="plan-item"
              data-testid="plan-item"
              data-id={item.id}
              data-action={item.action}
            >
              <span className={`status-chip ${ACTION_CHIP[item.action]}`}>
                {ACTION_LABEL[item.action]}
              </span>
              <span className="plan-summary">{item.summary}</span>
              {item.choice && (
                <fieldset className="plan-choice" disabled={applied || busy}>
                  <legend className="visually-hidden">Keep or replace: {item.summary}</legend>
                  {(['replace', 'keep'] as const).map((choice) => (
                    <label key={choice} className="radio">
                      <input
                        type="radio"
                        name={`plan-${item.id}`}
                        checked={
                          (applied ? item.choice : (chosen[item.id] ?? item.choice)) === choice
                        }
                        onChange={() => onChoice(item.id, choice)}
                        data-testid={`plan-choice-${choice}`}
                      />
                      <span>{choice === 'replace' ? 'Use the imported setup' : 'Keep it too'}</span>
                    </label>
                  ))}
                </fieldset>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
