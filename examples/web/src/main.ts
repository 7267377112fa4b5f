import { CombinedGraphQLErrors } from '@apollo/client';
import { client, endpoint } from './client.js';
import { ImageDetailsDocument, ImageListDocument, type ImageListQuery } from './gql/graphql.js';

// The documented project of the built-in sandbox, four of its images, and one the sandbox always fails (500).
const PROJECT_ID = '9c53a566cb3443ab910cf0daebca90c4';
const IMAGE_IDS = [
  '17a1890b-0fa4-485e-8505-14e294017988',
  '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b',
  'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f',
  'c4d8e2f6-9a1b-4c3d-8e5f-7a9b1c3d5e7f',
  'faded000-0000-4000-8000-000000005000',
];

const element = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const status = element('#status');

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** A failed image keeps its row: its error is the GraphQL error at its index of `images`. */
function imageError(error: unknown, index: number): string | undefined {
  if (!CombinedGraphQLErrors.is(error)) return undefined;
  const found = error.errors.find(({ path }) => path?.[0] === 'images' && path[1] === index);
  return found && `${found.message} (${String(found.extensions?.['code'] ?? 'no code')})`;
}

function showImages(images: ImageListQuery['images'], error: unknown): void {
  const body = element('#images tbody');
  body.replaceChildren(
    ...images.map((image, index) => {
      const row = document.createElement('tr');
      row.dataset['imageId'] = IMAGE_IDS[index];
      if (!image) {
        const failure = cell(imageError(error, index) ?? 'Not found', 'error');
        failure.colSpan = 5;
        row.append(cell(IMAGE_IDS[index]!), failure);
        return row;
      }
      const details = document.createElement('button');
      details.textContent = 'Details';
      details.setAttribute('aria-label', `Metadata of ${image.id}`);
      details.addEventListener('click', () => void showDetails(image.id));
      const actions = document.createElement('td');
      actions.append(details);
      row.append(cell(image.id), cell(image.osType ?? '-'), cell(String(image.osBit ?? '-')), cell(image.platform ?? '-'), cell(image.virtualEnvType ?? '-'), actions);
      return row;
    }),
  );
  element('#images').hidden = false;
}

async function showDetails(id: string): Promise<void> {
  const { data, error } = await client.query({ query: ImageDetailsDocument, variables: { projectId: PROJECT_ID, id }, errorPolicy: 'all' });
  if (!data?.image) {
    // Never leave another image's metadata under this one's request.
    element('#details').hidden = true;
    status.textContent = `Could not load the metadata of ${id}: ${error?.message ?? 'not found'}`;
    status.className = 'error';
    return;
  }
  element('#details-id').textContent = id;
  element('#details tbody').replaceChildren(
    ...data.image.metadata.map(({ key, value }) => {
      const row = document.createElement('tr');
      row.append(cell(key), cell(value));
      return row;
    }),
  );
  element('#details').hidden = false;
}

async function load(): Promise<void> {
  element('#endpoint').textContent = endpoint;
  try {
    // errorPolicy 'all': the images that loaded, and an error for each one that did not.
    const { data, error } = await client.query({ query: ImageListDocument, variables: { projectId: PROJECT_ID, ids: IMAGE_IDS }, errorPolicy: 'all' });
    if (!data) throw error ?? new Error('no data');
    showImages(data.images, error);
    status.textContent = `${data.images.filter(Boolean).length} of ${IMAGE_IDS.length} images loaded.`;
  } catch (error) {
    status.textContent = `Could not reach the image service: ${error instanceof Error ? error.message : String(error)}`;
    status.className = 'error';
  }
}

void load();
