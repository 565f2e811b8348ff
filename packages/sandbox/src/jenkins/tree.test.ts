import { applyTree, parseTree, TreeSyntaxError } from './tree';

describe("Jenkins' tree parameter", () => {
  const job = {
    _class: 'hudson.model.FreeStyleProject',
    name: 'hybris-build',
    builds: [3, 2, 1].map(number => ({
      _class: 'hudson.model.FreeStyleBuild',
      number,
      result: 'SUCCESS',
      url: `/job/kop/job/hybris-build/${number}/`,
      actions: [
        {
          _class: 'hudson.model.ParametersAction',
          parameters: [{ _class: 'p', name: 'BRANCH', value: `b${number}` }],
        },
        { _class: 'hudson.model.CauseAction' },
      ],
    })),
  };

  it('keeps the named fields and _class, nested, with array ranges', () => {
    expect(
      applyTree(
        job,
        parseTree('builds[number,actions[parameters[value]]]{0,2}'),
      ),
    ).toEqual({
      _class: 'hudson.model.FreeStyleProject',
      builds: [3, 2].map(number => ({
        _class: 'hudson.model.FreeStyleBuild',
        number,
        actions: [
          {
            _class: 'hudson.model.ParametersAction',
            parameters: [{ _class: 'p', value: `b${number}` }],
          },
          { _class: 'hudson.model.CauseAction' },
        ],
      })),
    });
    expect(applyTree(job, parseTree('name,builds[number]{1}'))).toEqual({
      _class: 'hudson.model.FreeStyleProject',
      name: 'hybris-build',
      builds: [{ _class: 'hudson.model.FreeStyleBuild', number: 2 }],
    });
    expect(applyTree(job, parseTree('builds[number]{,1},absent'))).toEqual({
      _class: 'hudson.model.FreeStyleProject',
      builds: [{ _class: 'hudson.model.FreeStyleBuild', number: 3 }],
    });
  });

  it('refuses a tree it cannot read, saying where', () => {
    for (const [tree, message] of [
      ['builds[number', "tree: ']' is expected at 13 in 'builds[number'"],
      ['builds{a}', "tree: a number is expected at 7 in 'builds{a}'"],
      ['builds,', "tree: a field name is expected at 7 in 'builds,'"],
      ['builds]', "tree: unexpected text at 6 in 'builds]'"],
    ]) {
      expect(() => parseTree(tree)).toThrow(new TreeSyntaxError(message));
    }
  });
});
