import { describe, expect, it } from 'vitest';
import { InvalidTokenError, pageOf } from '../../../local/sfn/paging';

const items = Array.from({ length: 7 }, (_, index) => ({ id: `item-${index}` }));
const keyOf = (item: { id: string }) => item.id;

describe('Function: pageOf', () => {
  it('answers pages of maxResults until the last, which has no token', () => {
    // Act
    const first = pageOf(items, keyOf, { maxResults: 3 }, 'list');
    const second = pageOf(items, keyOf, { maxResults: 3, nextToken: first.nextToken }, 'list');
    const third = pageOf(items, keyOf, { maxResults: 3, nextToken: second.nextToken }, 'list');

    // Assert
    expect([first, second, third].map(({ page }) => page.map(keyOf))).toEqual([
      ['item-0', 'item-1', 'item-2'],
      ['item-3', 'item-4', 'item-5'],
      ['item-6'],
    ]);
    expect(third.nextToken).toBeUndefined();
  });

  it('answers 100 items when maxResults is 0 or absent, as AWS', () => {
    const many = Array.from({ length: 150 }, (_, index) => ({ id: String(index) }));
    expect(pageOf(many, keyOf, {}, 'list').page).toHaveLength(100);
    expect(pageOf(many, keyOf, { maxResults: 0 }, 'list').page).toHaveLength(100);
  });

  it('continues after the last item returned, however many were added before it', () => {
    // Arrange
    const first = pageOf(items, keyOf, { maxResults: 2 }, 'list');
    const grown = [{ id: 'new-0' }, { id: 'new-1' }, ...items];

    // Act
    const next = pageOf(grown, keyOf, { maxResults: 2, nextToken: first.nextToken }, 'list');

    // Assert
    expect(next.page.map(keyOf)).toEqual(['item-2', 'item-3']);
  });

  it.each([
    ['garbage', 'not a token'],
    ['a token of another listing', pageOf(items, keyOf, { maxResults: 1 }, 'other').nextToken],
  ])('refuses %s with InvalidToken', (_case, nextToken) => {
    expect(() => pageOf(items, keyOf, { nextToken }, 'list')).toThrow(InvalidTokenError);
  });
});
