import { useEffect } from 'react';
import { Form, Input, Switch } from 'antd';
import { USERNAME_PATTERN } from '@mpop/contracts/constants';
import { api } from '../../api/endpoints';
import type { Organisation } from '@mpop/contracts';
import { usePlaceOnFields } from '../../api/problem';
import { useFormSubmit } from '../../api/use-form-submit';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n/i18n';
import '../../i18n/open-platform-pages-messages';

interface Values {
  name: string;
  owner?: string;
  reviewRequired: boolean;
}

/** Create an organisation (with its first owner), or rename one and say whether its versions need review (admin). */
export function OrganisationModal({
  organisation,
  onClose,
  onDone,
}: {
  /** `new` creates one. */
  organisation?: Organisation | 'new';
  onClose: () => void;
  onDone: (o: Organisation, created: boolean) => void;
}) {
  const { t } = useI18n();
  const place = usePlaceOnFields();
  const [form] = Form.useForm<Values>();
  const creating = organisation === 'new';
  const { submit, busy, error, setError } = useFormSubmit(
    form,
    async (v) => {
      if (organisation === 'new') {
        const owner = v.owner?.trim();
        onDone(await api.createOrganisation({ name: v.name.trim(), ...(owner ? { owner } : {}) }), true);
      } else if (organisation) {
        onDone(await api.updateOrganisation(organisation.orgId, { name: v.name.trim(), reviewRequired: v.reviewRequired }), false);
      }
    },
    (err) => place(form, err, ['name', 'owner', 'reviewRequired'] as const),
  );
  useEffect(() => {
    setError(undefined);
    form.resetFields();
    if (organisation && organisation !== 'new')
      form.setFieldsValue({ name: organisation.name, reviewRequired: organisation.reviewRequired });
  }, [organisation, form, setError]);
  return (
    <FormModal
      open={Boolean(organisation)}
      title={creating ? t('createOrganisation') : `${t('editOrganisation')} · ${organisation?.name ?? ''}`}
      onCancel={onClose}
      onOk={submit}
      busy={busy}
      error={error}
    >
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ reviewRequired: true }}>
        <Form.Item
          label={t('organisationName')}
          name="name"
          rules={[
            { required: true, whitespace: true, message: t('organisationNameRequired') },
            { max: 64, message: t('organisationNameTooLong') },
          ]}
        >
          <Input autoFocus autoComplete="off" />
        </Form.Item>
        {creating ? (
          <Form.Item
            label={t('ownerOptional')}
            name="owner"
            extra={t('ownerHelp')}
            rules={[{ pattern: new RegExp(USERNAME_PATTERN), message: t('usernameInvalid') }]}
          >
            <Input autoComplete="off" />
          </Form.Item>
        ) : (
          <Form.Item label={t('reviewRequired')} name="reviewRequired" valuePropName="checked" extra={t('reviewRequiredHelp')}>
            <Switch />
          </Form.Item>
        )}
        <button type="submit" hidden />
      </Form>
    </FormModal>
  );
}
