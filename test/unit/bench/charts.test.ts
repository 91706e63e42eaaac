import { describe, expect, it } from 'vitest';
import { addedLatencyVsTransitions, copyRssVsSize, latencyCdf } from '../../../bench/charts';

/** A whole SVG document, as vega's string renderer writes it. */
const expectSvg = (svg: string) => {
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
};

describe('Function: bench charts', () => {
  it('plots added latency against transitions with a labelled point per strategy and budget', async () => {
    // Arrange
    const rows = [
      { strategy: 'learning', budget: 'ample', addedP50: 1.2, addedP95: 3.4, transitionsPerJob: 11 },
      { strategy: 'fixed-2s', budget: 'tight', addedP50: 1.1, addedP95: 2, transitionsPerJob: 120 },
    ];

    // Act
    const svg = await addedLatencyVsTransitions(rows);

    // Assert
    expectSvg(svg);
    expect(svg).toContain('learning (ample budget)');
    expect(svg).toContain('fixed-2s (tight budget)');
    expect(svg).toContain('State transitions per job');
  });

  it('draws one CDF line per strategy and budget', async () => {
    // Arrange
    const rows = [
      { strategy: 'learning', budget: 'ample', addedSeconds: [0.5, 1, 1.5, 4] },
      { strategy: 'learning', budget: 'tight', addedSeconds: [0.9, 2.5, 6] },
      { strategy: 'fixed-10s', budget: 'ample', addedSeconds: [2, 5, 9] },
    ];

    // Act
    const svg = await latencyCdf(rows);

    // Assert
    expectSvg(svg);
    expect(svg).toContain('learning');
    expect(svg).toContain('fixed-10s');
    expect(svg).toContain('tight');
    // vega draws each line of a line mark as its own mark group.
    expect(svg.match(/class="mark-line role-mark marks"/g)).toHaveLength(3);
  });

  it('plots peak RSS against size per tool, with the target', async () => {
    // Arrange
    const rows = [
      { tool: 'copyVideo', sizeMiB: 16, peakRssMiB: 90 },
      { tool: 'copyVideo', sizeMiB: 256, peakRssMiB: 110 },
      { tool: 'aws s3 cp', sizeMiB: 16, peakRssMiB: 70 },
      { tool: 'aws s3 cp', sizeMiB: 256, peakRssMiB: 95 },
    ];

    // Act
    const svg = await copyRssVsSize(rows);

    // Assert
    expectSvg(svg);
    expect(svg).toContain('copyVideo');
    expect(svg).toContain('aws s3 cp');
    expect(svg).toContain('target: 150 MB');
  });
});
