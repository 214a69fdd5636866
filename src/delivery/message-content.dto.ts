/**
 * What an outbound message may contain, checked against Meta's Send API limits
 * (shared/reference/messenger-platform.md §3.2 to §3.4) before anything is queued, so an invalid
 * message is a 400 to the caller rather than a delivery that fails later with Graph error 100.
 *
 * The body is camelCase like the rest of our API; message-content.ts maps it to Meta's snake_case.
 * Limits that depend on the whole message (how many Send API calls it becomes) live in
 * validateContent() there, since class-validator only sees one field at a time.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO4217CurrencyCode,
  IsNumber,
  IsString,
  IsUrl,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Optional, Text } from '../common/validation/decorators';

export const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file'] as const;
export const TEMPLATE_TYPES = ['button', 'generic', 'receipt'] as const;
export const BUTTON_TYPES = ['web_url', 'postback'] as const;

/** Meta's published limits; the ⚠ ones come from third-party sources (§3.4) and may be looser. */
export const CONTENT_LIMITS = Object.freeze({
  textLength: 20_000,
  attachments: 10,
  quickReplies: 13,
  quickReplyTitle: 20,
  payload: 1000,
  url: 2000,
  buttonTitle: 20,
  buttonTemplateText: 640,
  buttonsPerTemplate: 3,
  genericElements: 10,
  genericTitle: 80,
  receiptElements: 100,
});

/**
 * Meta fetches attachments and opens buttons itself, and refuses plain http; a URL that fails
 * there would only show up as a failed delivery, so it is refused here.
 */
const HttpsUrl = (optional = false): PropertyDecorator =>
  applyDecorators(
    (optional ? ApiPropertyOptional : ApiProperty)({ format: 'uri', maxLength: CONTENT_LIMITS.url, example: 'https://shop.example.com/p/123.jpg' }),
    ...(optional ? [Optional()] : []),
    IsString(),
    MaxLength(CONTENT_LIMITS.url),
    IsUrl({ protocols: ['https'], require_protocol: true, require_valid_protocol: true }, { message: '$property must be an https URL' }),
  );

/** Opaque to us and echoed back byte for byte in the postback webhook, so never trimmed. */
const Payload = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: CONTENT_LIMITS.payload, description: 'Returned as-is in the postback or quick-reply webhook' }),
    IsString(),
    MinLength(1),
    MaxLength(CONTENT_LIMITS.payload),
  );

type Constructor = new () => object;

/**
 * Instantiates a plain object as the class its `type` names, or as `fallback`, whose only rule
 * refuses the type. class-transformer's own discriminator reads `item.type` inside arrays without
 * a null check, so `buttons: [null]` would throw (a 500) instead of failing validation (a 400).
 * `Object.hasOwn` keeps `type: "constructor"` from resolving to Object.
 */
const ByType = (classes: Record<string, Constructor>, fallback: Constructor, each: boolean): PropertyDecorator => {
  const instantiate = (item: unknown): unknown => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const type = (item as { type?: unknown }).type;
    const target = typeof type === 'string' && Object.hasOwn(classes, type) ? classes[type] : fallback;
    return plainToInstance(target, item);
  };
  const transform = ({ value }: { value: unknown }): unknown => {
    if (!each) return instantiate(value);
    return Array.isArray(value) ? value.map(instantiate) : value;
  };
  return Transform(transform, { toClassOnly: true });
};

// ---- Buttons ----------------------------------------------------------------------------------

export class WebUrlButtonDto {
  @ApiProperty({ enum: ['web_url'] })
  @IsIn(['web_url'])
  type!: 'web_url';

  @Text({ max: CONTENT_LIMITS.buttonTitle })
  title!: string;

  @HttpsUrl()
  url!: string;
}

export class PostbackButtonDto {
  @ApiProperty({ enum: ['postback'] })
  @IsIn(['postback'])
  type!: 'postback';

  @Text({ max: CONTENT_LIMITS.buttonTitle })
  title!: string;

  @Payload()
  payload!: string;
}

/** Where a button of unknown type lands: its one rule names the types we accept. */
class UnknownButtonDto {
  @ApiProperty({ enum: BUTTON_TYPES })
  @IsIn(BUTTON_TYPES)
  type!: string;
}

export type ButtonDto = WebUrlButtonDto | PostbackButtonDto;

const BUTTON_SCHEMA = { oneOf: [{ $ref: getSchemaPath(WebUrlButtonDto) }, { $ref: getSchemaPath(PostbackButtonDto) }] };

const Buttons = (min: number): PropertyDecorator =>
  applyDecorators(
    (min > 0 ? ApiProperty : ApiPropertyOptional)({ type: 'array', items: BUTTON_SCHEMA, minItems: min, maxItems: CONTENT_LIMITS.buttonsPerTemplate }),
    ...(min > 0 ? [] : [Optional()]),
    ByType({ web_url: WebUrlButtonDto, postback: PostbackButtonDto }, UnknownButtonDto, true),
    IsArray(),
    ArrayMinSize(min),
    ArrayMaxSize(CONTENT_LIMITS.buttonsPerTemplate),
    ValidateNested({ each: true }),
  );

// ---- Templates --------------------------------------------------------------------------------

export class ButtonTemplateDto {
  @ApiProperty({ enum: ['button'] })
  @IsIn(['button'])
  type!: 'button';

  @Text({ max: CONTENT_LIMITS.buttonTemplateText })
  text!: string;

  @Buttons(1)
  buttons!: ButtonDto[];
}

export class GenericElementDto {
  @Text({ max: CONTENT_LIMITS.genericTitle })
  title!: string;

  @Text({ max: CONTENT_LIMITS.genericTitle, optional: true })
  subtitle?: string;

  @HttpsUrl(true)
  imageUrl?: string;

  @Buttons(0)
  buttons?: ButtonDto[];
}

export class GenericTemplateDto {
  @ApiProperty({ enum: ['generic'] })
  @IsIn(['generic'])
  type!: 'generic';

  @ApiProperty({ type: [GenericElementDto], minItems: 1, maxItems: CONTENT_LIMITS.genericElements })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CONTENT_LIMITS.genericElements)
  @ValidateNested({ each: true })
  @Type(() => GenericElementDto)
  elements!: GenericElementDto[];
}

const Amount = (description: string): PropertyDecorator =>
  applyDecorators(ApiProperty({ minimum: 0, description }), IsNumber({ allowNaN: false, allowInfinity: false }), Min(0));

export class ReceiptElementDto {
  @Text({ max: CONTENT_LIMITS.genericTitle })
  title!: string;

  @Amount('Line price, in the receipt currency')
  price!: number;

  @ApiPropertyOptional({ minimum: 1 })
  @Optional()
  @IsInt()
  @Min(1)
  quantity?: number;
}

export class ReceiptSummaryDto {
  @Amount('Sent with "." as the decimal separator, as Meta requires')
  totalCost!: number;
}

/** Meta publishes no lengths for these; they are bounded so a body stays small. */
export class ReceiptTemplateDto {
  @ApiProperty({ enum: ['receipt'] })
  @IsIn(['receipt'])
  type!: 'receipt';

  @Text({ max: 200 })
  recipientName!: string;

  @Text({ max: 100, description: 'Meta requires it to be unique per receipt' })
  orderNumber!: string;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code' })
  @IsISO4217CurrencyCode()
  currency!: string;

  @Text({ max: 100, description: 'e.g. "Visa 1234"' })
  paymentMethod!: string;

  @ApiProperty({ type: [ReceiptElementDto], minItems: 1, maxItems: CONTENT_LIMITS.receiptElements })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CONTENT_LIMITS.receiptElements)
  @ValidateNested({ each: true })
  @Type(() => ReceiptElementDto)
  elements!: ReceiptElementDto[];

  @ApiProperty({ type: ReceiptSummaryDto })
  @ValidateNested()
  @Type(() => ReceiptSummaryDto)
  summary!: ReceiptSummaryDto;
}

/** Where a template of unknown type lands: its one rule names the types we accept. */
class UnknownTemplateDto {
  @ApiProperty({ enum: TEMPLATE_TYPES })
  @IsIn(TEMPLATE_TYPES)
  type!: string;
}

export type TemplateDto = ButtonTemplateDto | GenericTemplateDto | ReceiptTemplateDto;

// ---- The message ------------------------------------------------------------------------------

export class AttachmentDto {
  @ApiProperty({ enum: ATTACHMENT_TYPES })
  @IsIn(ATTACHMENT_TYPES)
  type!: (typeof ATTACHMENT_TYPES)[number];

  @HttpsUrl()
  url!: string;
}

export class QuickReplyDto {
  /** Meta silently truncates longer titles (§3.4); refusing is better than a cut-off label. */
  @Text({ max: CONTENT_LIMITS.quickReplyTitle })
  title!: string;

  @Payload()
  payload!: string;
}

/**
 * An empty `attachments: []` is no content, so `{attachments: []}` alone is still refused. A
 * `cannedResponseId` (a ticket reply's) stands for text that is filled in later.
 */
const hasOtherContent = (body: Partial<Record<'text' | 'attachments' | 'template' | 'cannedResponseId', unknown>>): boolean =>
  body.text !== undefined || body.cannedResponseId !== undefined || (Array.isArray(body.attachments) ? body.attachments.length > 0 : body.attachments !== undefined);

const EMPTY_MESSAGE = 'a message needs text, attachments or a template';

/**
 * class-validator has no class-level rules, so "not empty" hangs on `template`: it is checked
 * when a template is sent or when nothing else is, and ValidateNested skips an absent value, so
 * an empty body gets this one clear message instead of a string of "must be a string" ones.
 */
const TemplateOrContent = (): PropertyDecorator =>
  applyDecorators(
    ValidateIf((body: OutboundMessageDto, value: unknown) => value !== undefined || !hasOtherContent(body)),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'templateOrContent',
        target: target.constructor,
        propertyName: propertyName as string,
        validator: {
          validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value),
          defaultMessage: (args) => (args?.value === undefined ? EMPTY_MESSAGE : `${args?.property ?? 'template'} must be an object`),
        },
      }),
  );

@ApiExtraModels(ButtonTemplateDto, GenericTemplateDto, ReceiptTemplateDto, WebUrlButtonDto, PostbackButtonDto)
export class OutboundMessageDto {
  @Text({ max: CONTENT_LIMITS.textLength, optional: true, description: 'Split into several messages of at most 2,000 characters' })
  text?: string;

  @ApiPropertyOptional({ type: [AttachmentDto], maxItems: CONTENT_LIMITS.attachments, description: 'Each is sent as its own message, after the text' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(CONTENT_LIMITS.attachments)
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];

  @ApiPropertyOptional({ type: [QuickReplyDto], maxItems: CONTENT_LIMITS.quickReplies, description: 'Shown under the last message' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(CONTENT_LIMITS.quickReplies)
  @ValidateNested({ each: true })
  @Type(() => QuickReplyDto)
  quickReplies?: QuickReplyDto[];

  @ApiPropertyOptional({
    oneOf: [{ $ref: getSchemaPath(ButtonTemplateDto) }, { $ref: getSchemaPath(GenericTemplateDto) }, { $ref: getSchemaPath(ReceiptTemplateDto) }],
    discriminator: {
      propertyName: 'type',
      mapping: { button: getSchemaPath(ButtonTemplateDto), generic: getSchemaPath(GenericTemplateDto), receipt: getSchemaPath(ReceiptTemplateDto) },
    },
    description: 'Sent last, after the text and attachments',
  })
  @TemplateOrContent()
  @ByType({ button: ButtonTemplateDto, generic: GenericTemplateDto, receipt: ReceiptTemplateDto }, UnknownTemplateDto, false)
  @ValidateNested()
  template?: TemplateDto;
}
