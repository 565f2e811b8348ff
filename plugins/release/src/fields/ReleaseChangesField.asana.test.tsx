import { useState } from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  AsanaTaskList,
  ReleaseItem,
} from '@internal/plugin-release-common';
import { releaseApiRef, type ReleaseApi } from '../api';
import { fieldProps } from '../__testUtils__/fieldProps';
import {
  responseError,
  whatShipsFixture,
} from '../__testUtils__/releaseFixtures';
import {
  ReleaseChangesField,
  validateReleaseChanges,
} from './ReleaseChangesField';
import type { ReleaseChangesValue } from './draft';

const asanaUrl = (gid: string) =>
  `https://app.asana.com/0/1200000000000010/${gid}`;
const ships = whatShipsFixture({
  app: 'hybris',
  environment: 'beta',
  candidate: 'deploy-2026-01-08',
});

const tasks: AsanaTaskList = {
  tasks: [
    {
      gid: '1209000000000041',
      name: '[버티컬] 대표이사 성명 변경 작업 원복',
      completed: false,
      url: asanaUrl('1209000000000041'),
      assignee: '최유나 Choi Yuna',
      section: '배포 대기',
    },
    {
      gid: '1209000000000045',
      name: '[HYBRIS] 재입고 알림 타입 추가',
      completed: false,
      url: asanaUrl('1209000000000045'),
    },
    {
      gid: '1209000000000044',
      name: '[CMS] KS 템플릿 업데이트',
      completed: false,
      url: asanaUrl('1209000000000044'),
      assignee: '박지훈 Park Jihoon',
      section: '배포 대기',
    },
  ],
  truncated: false,
};

function fakeApi(listAsanaTasks: ReleaseApi['listAsanaTasks']) {
  return {
    whatShips: jest.fn(async () => ships),
    listAsanaTasks: jest.fn(listAsanaTasks),
  } as unknown as ReleaseApi & {
    listAsanaTasks: jest.Mock;
  };
}

const formContext = {
  formData: {
    release: {
      environment: 'beta',
      apps: [{ app: 'hybris', version: 'deploy-2026-01-08' }],
    },
  },
};

/** The field as the Prepare form holds it: each value it reports becomes its formData. */
async function renderField(api: ReleaseApi, asanaTasks = true) {
  const values: ReleaseChangesValue[] = [];
  const uiSchema = { 'ui:options': { asanaTasks } };
  const Form = () => {
    const [formData, setFormData] = useState<ReleaseChangesValue>();
    return (
      <ReleaseChangesField
        {...fieldProps({
          formContext,
          uiSchema,
          formData,
          onChange: (value: ReleaseChangesValue) => {
            values.push(value);
            setFormData(value);
          },
        })}
      />
    );
  };
  await renderInTestApp(
    <TestApiProvider apis={[[releaseApiRef, api]]}>
      <Form />
    </TestApiProvider>,
  );
  await waitFor(() => expect(values.length).toBeGreaterThan(0));
  return { last: () => values[values.length - 1] };
}

describe('the Prepare form’s items: Asana tasks beside the merge requests', () => {
  it('adds a picked Asana task as an item carrying its gid and link, next to the MR items', async () => {
    const api = fakeApi(async () => tasks);
    const { last } = await renderField(api);
    const rows = await screen.findAllByTestId('kop-asana-task');
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringContaining('최유나 Choi Yuna · 배포 대기'),
      expect.stringContaining('unassigned'),
      expect.stringContaining('박지훈 Park Jihoon · 배포 대기'),
    ]);
    expect(api.listAsanaTasks).toHaveBeenCalledWith({});

    fireEvent.click(
      screen.getByRole('button', {
        name: 'Add [HYBRIS] 재입고 알림 타입 추가',
      }),
    );
    const items: ReleaseItem[] = last().items;
    expect(items).toEqual([
      ...ships.proposedItems,
      {
        title: '[HYBRIS] 재입고 알림 타입 추가',
        app: 'hybris',
        source: {
          type: 'asana',
          gid: '1209000000000045',
          url: asanaUrl('1209000000000045'),
        },
      },
    ]);
    expect(last().mixedIn).toBe(0);
    // A task whose tag names an app the release does not ship is added without an app.
    fireEvent.click(
      screen.getByRole('button', { name: 'Add [CMS] KS 템플릿 업데이트' }),
    );
    expect(last().items[3]).toEqual({
      title: '[CMS] KS 템플릿 업데이트',
      source: {
        type: 'asana',
        gid: '1209000000000044',
        url: asanaUrl('1209000000000044'),
      },
    });
    const added = screen.getByRole('button', {
      name: 'Add [HYBRIS] 재입고 알림 타입 추가',
    });
    expect(added).toBeDisabled();
    expect(added).toHaveTextContent('added');
    expect(
      screen
        .getAllByRole('link', { name: 'Asana task' })
        .map(a => a.getAttribute('href')),
    ).toEqual([asanaUrl('1209000000000045'), asanaUrl('1209000000000044')]);
    expect(validateErrors(last())).toEqual([]);
  });

  it('narrows the list while typing, and asks Asana on Enter without submitting the form', async () => {
    const api = fakeApi(async query => ({
      tasks: tasks.tasks.filter(t =>
        t.name.toLowerCase().includes((query?.q ?? '').toLowerCase()),
      ),
      truncated: !query?.q,
    }));
    await renderField(api);
    await screen.findAllByTestId('kop-asana-task');
    expect(
      screen.getByText('More tasks match than are shown: narrow the search.'),
    ).toBeInTheDocument();
    const search = screen.getByLabelText('Search Asana tasks');
    fireEvent.change(search, { target: { value: '대표이사' } });
    expect(
      screen.getAllByTestId('kop-asana-task').map(r => r.textContent),
    ).toEqual([
      expect.stringContaining('[버티컬] 대표이사 성명 변경 작업 원복'),
    ]);
    const enter = fireEvent.keyDown(search, { key: 'Enter' });
    expect(enter).toBe(false);
    await waitFor(() =>
      expect(api.listAsanaTasks).toHaveBeenLastCalledWith({ q: '대표이사' }),
    );
    await waitFor(() =>
      expect(
        screen.queryByText(
          'More tasks match than are shown: narrow the search.',
        ),
      ).not.toBeInTheDocument(),
    );
    fireEvent.change(search, { target: { value: '없는 태스크' } });
    expect(screen.getByText('No open task matches.')).toBeInTheDocument();
  });

  it('shows why Asana could not be read, and the MR items stay', async () => {
    const api = fakeApi(async () => {
      throw await responseError(
        503,
        'Service Unavailable',
        'ServiceUnavailableError',
        'Asana (https://app.asana.com/api/1.0/projects/1200000000000010/tasks): list tasks failed (HTTP 500): Server Error after 4 tries',
      );
    });
    const { last } = await renderField(api);
    expect(
      await screen.findByText(
        /Could not read the Asana tasks \(the items from GitLab still work\)/,
      ),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('kop-asana-picker')).getByText(
        /503 Asana \(https:\/\/app\.asana\.com\/api\/1\.0\/projects\/1200000000000010\/tasks\): list tasks failed \(HTTP 500\): Server Error after 4 tries/,
      ),
    ).toBeInTheDocument();
    expect(last().items).toEqual(ships.proposedItems);
  });

  it('offers no Asana picker where the form does not ask for one (Rollback)', async () => {
    const api = fakeApi(async () => tasks);
    await renderField(api, false);
    expect(screen.queryByTestId('kop-asana-picker')).not.toBeInTheDocument();
    expect(api.listAsanaTasks).not.toHaveBeenCalled();
  });

  it('refuses an Asana item without a task gid, naming the item', () => {
    expect(
      validateErrors({
        items: [
          {
            title: '[CMS] KS 템플릿 업데이트',
            source: { type: 'asana', gid: '' },
          },
        ],
        changeClasses: [],
        mixedIn: 0,
        notNewer: [],
        dbUpdate: false,
      }),
    ).toEqual([
      'changes.items[0].source.gid: an Asana item needs its task gid',
    ]);
  });
});

function validateErrors(value: ReleaseChangesValue): string[] {
  const found: string[] = [];
  validateReleaseChanges(value, { addError: m => found.push(m) });
  return found;
}
