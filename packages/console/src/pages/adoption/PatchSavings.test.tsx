import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/react';
import { Row } from 'antd';
import { PatchSavings } from './PatchSavings';
import { renderWithProviders } from '../../test/render';

describe('PatchSavings', () => {
  it('shows the bytes patches saved and how many downloads used one', () => {
    renderWithProviders(
      <Row>
        <PatchSavings patches={{ downloads: 12, bytesSaved: 3 * 1024 * 1024 }} />
      </Row>,
    );
    expect(screen.getByText('Saved by patches')).toBeTruthy();
    expect(screen.getByText('3 MiB')).toBeTruthy();
    expect(screen.getByText('12')).toBeTruthy();
  });

  it('shows nothing for a server from before patches', () => {
    const { container } = renderWithProviders(<PatchSavings patches={undefined} />);
    expect(container.textContent).toBe('');
  });
});
