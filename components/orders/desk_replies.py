"""The order desk's words: deterministic templates in English and Chinese, and how order facts are written."""
from __future__ import annotations

_TEMPLATES: dict[str, tuple[str, str]] = {
    # identity
    "ask_identity": (
        "To help with {what}, I first need to verify your identity. Please tell me the email address on your "
        "account, or your first name, last name and zip code.",
        "为了处理{what}，我需要先验证您的身份。请提供您账户的邮箱地址，或者您的名字、姓氏和邮编。"),
    "ask_identity_user_id": (
        "Thanks. For your security I can't use a user id alone; please tell me the email address on your account, "
        "or your first name, last name and zip code.",
        "谢谢。为了您的账户安全，仅凭用户 ID 无法验证身份；请提供账户邮箱，或者您的名字、姓氏和邮编。"),
    "ask_name_zip": (
        "No problem. Please tell me your first name, last name and zip code instead.",
        "没关系。请告诉我您的名字、姓氏和邮编。"),
    "ask_zip": ("Thanks, {name}. What is the zip code on your account?", "谢谢，{name}。请问您账户上的邮编是多少？"),
    "ask_name": ("Thanks. What are your first and last name?", "谢谢。请问您的名字和姓氏是？"),
    "bad_email": (
        "\"{email}\" doesn't look like a complete email address (it should look like name@example.com). "
        "Could you check it?",
        "“{email}”看起来不是完整的邮箱地址（格式应类似 name@example.com），请核对一下。"),
    "email_not_found": (
        "I couldn't find an account with the email {email}. Please check it, or tell me your first name, last "
        "name and zip code instead.",
        "没有找到邮箱为 {email} 的账户。请核对邮箱，或者提供您的名字、姓氏和邮编。"),
    "name_zip_not_found": (
        "I couldn't find an account for {name} with zip code {zip}. Please check the spelling and the zip code, "
        "or tell me the email address on your account.",
        "没有找到姓名为 {name}、邮编为 {zip} 的账户。请核对姓名和邮编，或者提供账户邮箱。"),
    "auth_locked": (
        "I'm sorry, I still can't verify your identity, so I can't go further with your account here. I'll pass "
        "you to a human agent who can help.",
        "抱歉，仍然无法验证您的身份，我不能继续处理您的账户。我会为您转接人工客服。"),
    "verified": ("Thank you, {first}. You're verified.", "谢谢，{first}，身份已验证。"),
    "verified_how_help": (
        "Thank you, {first}. You're verified. How can I help with your orders?",
        "谢谢，{first}，身份已验证。请问订单方面有什么可以帮您？"),
    "one_customer_only": (
        "I can only help with the account verified in this conversation, so I can't look up or change anything "
        "for another customer.",
        "在本次对话中我只能处理已验证的这个账户，无法查询或修改其他客户的任何信息。"),
    # orders
    "ask_order": ("Which order is it? {orders}", "请问是哪个订单？{orders}"),
    "your_orders_are": ("Your orders: {orders}.", "您的订单有：{orders}。"),
    "eligible_orders_are": ("Your {status} orders: {orders}.", "您状态为{status}的订单有：{orders}。"),
    "no_orders": ("There are no orders on your account.", "您的账户下没有订单。"),
    "no_eligible_orders": (
        "You have no {status} orders, so there is nothing I can {verb}. Your orders: {orders}.",
        "您没有状态为{status}的订单，因此无法{verb}。您的订单有：{orders}。"),
    "bad_order_id": (
        "\"{given}\" isn't a valid order number. Order numbers look like #W1234567 (#W followed by 7 digits). "
        "Could you check it?",
        "“{given}”不是有效的订单号。订单号的格式是 #W 加 7 位数字，例如 #W1234567。请核对一下。"),
    "not_your_order": (
        "I can't find order {order_id} on your account. Please check the number. {orders}",
        "在您的账户下找不到订单 {order_id}，请核对订单号。{orders}"),
    "list_orders": ("You have {count} order(s):\n{lines}", "您共有 {count} 个订单：\n{lines}"),
    # status
    "status_intro": ("Order {order_id} is {status}.", "订单 {order_id} 的状态：{status}。"),
    "status_intro_other": ("Order {order_id} has the status \"{status}\".", "订单 {order_id} 的状态：{status}。"),
    "items_header": ("Items:", "商品："),
    "tracking": ("Tracking number(s): {ids}", "物流单号：{ids}"),
    "no_tracking": ("No tracking number yet (it hasn't shipped).", "暂无物流单号（尚未发货）。"),
    "ship_to": ("Shipping address: {address}", "收货地址：{address}"),
    "payments": ("Payments: {lines}", "付款记录：{lines}"),
    "refund_timing_gift": ("The refund to the gift card was immediate.", "退回礼品卡的款项已即时到账。"),
    "refund_timing_other": (
        "Refunds to a card or PayPal arrive within 5 to 7 business days.",
        "退回信用卡或 PayPal 的款项将在 5 到 7 个工作日内到账。"),
    "return_info": ("Return requested for: {items}; refund to {method}.", "已申请退货：{items}；退款至 {method}。"),
    "anything_else": ("Is there anything else I can help with?", "还有什么可以帮您的吗？"),
    # profile
    "profile": (
        "Your account: {name}, {email}. Default address: {address}. Payment methods: {methods}. Orders: {orders}.",
        "您的账户：{name}，{email}。默认地址：{address}。支付方式：{methods}。订单数：{orders}。"),
    "balance": (" (balance ${amount})", "（余额 ${amount}）"),
    # cancel
    "cannot_cancel": (
        "Order {order_id} is {status}, so it can't be cancelled: only pending orders can be cancelled.{hint}",
        "订单 {order_id} 的状态是{status}，无法取消：只有待处理（pending）的订单可以取消。{hint}"),
    "hint_return": (" Since it has been delivered, you can return items from it instead.",
                    "该订单已送达，您可以改为申请退货。"),
    "ask_reason": (
        "Why would you like to cancel order {order_id}? The reason must be either \"no longer needed\" or "
        "\"ordered by mistake\".",
        "请问取消订单 {order_id} 的原因是什么？原因必须是“不再需要”(no longer needed) 或“误下单”(ordered by mistake)。"),
    "confirm_cancel": (
        "Please confirm: cancel order {order_id} ({items}), reason \"{reason}\". Refund: {plan}. "
        "Shall I go ahead? (yes/no)",
        "请确认：取消订单 {order_id}（{items}），原因“{reason}”。退款：{plan}。确认取消吗？（是/否）"),
    "cancelled": (
        "Done: order {order_id} is now cancelled. Refund: {plan}.",
        "已完成：订单 {order_id} 已取消。退款：{plan}。"),
    "refund_line": ("${amount} to {method} {timing}", "${amount} 退回到{method}，{timing}"),
    "timing_gift": ("immediately", "即时到账"),
    "timing_other": ("within 5 to 7 business days", "5 到 7 个工作日内到账"),
    # return
    "cannot_return": (
        "Order {order_id} is {status}, so it can't be returned: only delivered orders can be returned.{hint}",
        "订单 {order_id} 的状态是{status}，无法退货：只有已送达（delivered）的订单可以退货。{hint}"),
    "hint_cancel": (" Since it is still pending, you can cancel it instead.", "该订单仍在待处理状态，您可以改为取消订单。"),
    "ask_items": (
        "Which items of order {order_id} would you like to return? {items}. You can say \"all\".",
        "您想退订单 {order_id} 中的哪些商品？{items}。也可以说“全部”。"),
    "ask_refund_method": (
        "Where should the refund go: {options}?", "退款要退到哪里：{options}？"),
    "confirm_return": (
        "Please confirm: return {items} from order {order_id}; ${total} will be refunded to {method}. "
        "Shall I go ahead? (yes/no)",
        "请确认：退回订单 {order_id} 中的 {items}；${total} 将退回到 {method}。确认退货吗？（是/否）"),
    "returned": (
        "Done: a return is requested for {items} from order {order_id} (status: return requested). You'll "
        "receive an email with instructions on how to send the items back; ${total} will be refunded to {method}.",
        "已完成：订单 {order_id} 中的 {items} 已申请退货（状态：已申请退货）。您将收到一封说明如何寄回商品的邮件；"
        "${total} 将退回到 {method}。"),
    # address
    "cannot_modify": (
        "Order {order_id} is {status}, so its address can't be changed: only pending orders can be modified.",
        "订单 {order_id} 的状态是{status}，无法修改地址：只有待处理（pending）的订单可以修改。"),
    "ask_address": (
        "What is the new shipping address for order {order_id}? Please write it as: street, apartment or suite "
        "(if any), city, state and zip, for example \"123 Main St, Apt 4, Austin, TX 78701\". You can also say "
        "\"my default address\".",
        "订单 {order_id} 的新收货地址是什么？请按以下格式填写：街道、门牌/公寓号（如有）、城市、州和邮编，例如"
        "“123 Main St, Apt 4, Austin, TX 78701”。也可以说“默认地址”。"),
    "confirm_address": (
        "Please confirm: change the shipping address of order {order_id} from {old} to {new}. Shall I go ahead? "
        "(yes/no)",
        "请确认：将订单 {order_id} 的收货地址从 {old} 改为 {new}。确认修改吗？（是/否）"),
    "address_changed": (
        "Done: order {order_id} will now ship to {new}.", "已完成：订单 {order_id} 的收货地址已改为 {new}。"),
    "same_address": ("Order {order_id} already ships to {new}; nothing to change.",
                     "订单 {order_id} 的收货地址已经是 {new}，无需修改。"),
    # confirmations
    "ask_yes_no": ("Please answer yes to go ahead or no to stop. {question}",
                   "请回答“是”继续，或“否”停止。{question}"),
    "not_done": ("OK, I won't go ahead with {what}. Nothing was changed.", "好的，不会继续{what}，没有做任何更改。"),
    "abandoned": ("OK, I've stopped {what}. Nothing was changed.", "好的，已停止{what}，没有做任何更改。"),
    "write_failed": ("I couldn't do that: {error}.", "无法完成该操作：{error}。"),
    "still_need": ("I still need {what} to continue, or say \"never mind\" to stop.",
                   "我还需要{what}才能继续；如果不需要了，请说“算了”。"),
    # products
    "ask_product": (
        "Which product would you like me to check? For example: {examples}.",
        "请问您想查询哪个商品？例如：{examples}。"),
    "which_product": ("Do you mean {options}?", "请问您指的是 {options}？"),
    "unknown_product": ("I couldn't find a product called \"{query}\". We sell, for example: {examples}.",
                        "没有找到名为“{query}”的商品。我们销售的商品例如：{examples}。"),
    "availability": ("{name}{filter}: {available} of {total} variant(s) available.",
                     "{name}{filter}：{total} 个款式中有 {available} 个有货。"),
    "available_header": ("Available:", "有货："),
    "unavailable_header": ("Out of stock:", "缺货："),
    "more_variants": ("…and {count} more.", "……另有 {count} 个。"),
    # exchanges and item changes
    "which_item": (
        "Order {order_id} has more than one {name}: {options}. Which one do you mean?",
        "订单 {order_id} 中有不止一件{name}：{options}。请问您指的是哪一件？"),
    "ask_change_items": (
        "Which items of order {order_id} would you like to {verb}? {items}.",
        "您想{verb}订单 {order_id} 中的哪些商品？{items}。"),
    "ask_new_options": (
        "What would you like the {item} changed to? Available options: {options}.",
        "您想把 {item} 换成什么款式？有货的款式：{options}。"),
    "variant_unavailable": (
        "Sorry, the {name} with {wanted} is out of stock. Available instead: {options}.",
        "抱歉，{wanted} 的{name}目前缺货。有货的款式：{options}。"),
    "variant_none_available": (
        "Sorry, no {name} with {wanted} is in stock, so I can't change the {item} to it. Other available options: "
        "{options}.",
        "抱歉，{wanted} 的{name}没有现货，无法更换 {item}。其他有货的款式：{options}。"),
    "variant_which": (
        "Several {name} variants have {wanted}: {options}. Which one would you like?",
        "有多个{wanted}的{name}款式：{options}。请问您要哪一个？"),
    "other_product_type": (
        "An item can only be changed to another option of the same product, so I can't change the {item} into a "
        "{other}. You could {alternative} instead.",
        "商品只能更换为同一商品的其他款式，无法把 {item} 换成{other}。您可以改为{alternative}。"),
    "alt_return": ("return it", "申请退货"), "alt_cancel": ("cancel the order and place a new one", "取消订单后重新下单"),
    "ask_settle_method": (
        "The price difference is {difference}. Which payment method should {direction}: {options}?",
        "差价为 {difference}。请问用哪种支付方式{direction}：{options}？"),
    "direction_pay": ("pay it", "支付"), "direction_refund": ("receive it", "接收退款"),
    "gift_card_short": (
        "The gift card {method} has ${balance}, which doesn't cover ${amount}. Please choose another payment "
        "method: {options}.",
        "礼品卡 {method} 余额为 ${balance}，不足以支付 ${amount}。请选择其他支付方式：{options}。"),
    "nothing_covers": (
        "The price difference of ${amount} can't be paid: your only payment method is {options}, and a gift card "
        "can only pay what its balance covers. Nothing was changed.",
        "无法支付 ${amount} 的差价：您唯一的支付方式是{options}，而礼品卡只能支付其余额以内的金额。没有做任何更改。"),
    "difference_pay": ("you pay ${amount} with {method}", "您需用{method}补差价 ${amount}"),
    "difference_refund": ("${amount} is refunded to {method}", "差价 ${amount} 将退回到{method}"),
    "difference_none": ("no price difference ({method} on file for it)", "无差价（记在{method}）"),
    "confirm_exchange": (
        "Please confirm the exchange for order {order_id}: {changes}. Price difference: {settle}. An order can be "
        "exchanged only once, so please make sure these are all the items you want to exchange. You'll receive an "
        "email on how to return the items. Shall I go ahead? (yes/no)",
        "请确认订单 {order_id} 的换货：{changes}。差价：{settle}。每个订单只能换货一次，请确认这些是您要换的全部商品。"
        "您将收到一封说明如何寄回商品的邮件。确认换货吗？（是/否）"),
    "exchanged": (
        "Done: the exchange for order {order_id} is requested (status: exchange requested): {changes}. Price "
        "difference: {settle}. You'll receive an email on how to return the items.",
        "已完成：订单 {order_id} 已申请换货（状态：已申请换货）：{changes}。差价：{settle}。您将收到一封说明如何寄回商品的邮件。"),
    "confirm_modify_items": (
        "Please confirm the change to pending order {order_id}: {changes}. Price difference: {settle}. A pending "
        "order's items can be changed only once, and after that it can't be changed or cancelled any more, so "
        "please make sure these are all the items you want to change. Shall I go ahead? (yes/no)",
        "请确认修改待处理订单 {order_id}：{changes}。差价：{settle}。待处理订单的商品只能修改一次，之后订单将不能再修改或取消，"
        "请确认这些是您要修改的全部商品。确认修改吗？（是/否）"),
    "items_modified": (
        "Done: order {order_id} now has {changes} (status: pending (item modified)). Price difference: {settle}.",
        "已完成：订单 {order_id} 已修改：{changes}（状态：待处理，商品已修改）。差价：{settle}。"),
    "change_once": (
        "Order {order_id} is {status}: {reason}",
        "订单 {order_id} 的状态是{status}：{reason}"),
    "once_exchange": ("a delivered order can be exchanged or returned only once, so it can't be changed again.",
                      "已送达的订单只能退货或换货一次，无法再次更改。"),
    "once_modify": ("a pending order's items can be changed only once, and after that the order can't be modified "
                    "or cancelled.", "待处理订单的商品只能修改一次，之后订单不能再修改或取消。"),
    "cannot_change_items": (
        "Order {order_id} is {status}, so its items can't be changed: only pending orders can be modified and only "
        "delivered orders can be exchanged.",
        "订单 {order_id} 的状态是{status}，无法更换商品：只有待处理的订单可以修改，只有已送达的订单可以换货。"),
    # payment method of a pending order
    "ask_new_payment": (
        "Order {order_id} (${total}) is paid with {current}. Which payment method would you like to use instead: "
        "{options}?",
        "订单 {order_id}（${total}）目前使用{current}支付。请问您想改用哪种支付方式：{options}？"),
    "cannot_modify_payment": (
        "Order {order_id} is {status}, so its payment method can't be changed: only pending orders can be modified.",
        "订单 {order_id} 的状态是{status}，无法修改支付方式：只有待处理（pending）的订单可以修改。"),
    "no_other_payment": (
        "Order {order_id} is paid with {current}, and there is no other payment method on your account to switch "
        "to.", "订单 {order_id} 使用{current}支付，您的账户中没有其他可用的支付方式。"),
    "same_payment": ("Order {order_id} is already paid with {current}.", "订单 {order_id} 已经在使用{current}支付。"),
    "confirm_payment": (
        "Please confirm: pay order {order_id} (${total}) with {new} instead of {current}; {current} will be "
        "refunded {timing}. Shall I go ahead? (yes/no)",
        "请确认：订单 {order_id}（${total}）改用{new}支付，不再使用{current}；原付款将退回到{current}，{timing}。确认修改吗？（是/否）"),
    "payment_changed": (
        "Done: order {order_id} is now paid with {new}; {current} is refunded {timing}.",
        "已完成：订单 {order_id} 已改用{new}支付；原付款退回到{current}，{timing}。"),
    "payment_once": ("Order {order_id}'s payment has already been changed, so it can't be changed again.",
                     "订单 {order_id} 的支付方式已经修改过，无法再次修改。"),
    # the customer's default address
    "ask_user_address": (
        "Your default address is {old}. What should the new one be? Please write it as: street, apartment or suite "
        "(if any), city, state and zip, for example \"123 Main St, Apt 4, Austin, TX 78701\".",
        "您的默认地址是 {old}。新的默认地址是什么？请按以下格式填写：街道、门牌/公寓号（如有）、城市、州和邮编，例如"
        "“123 Main St, Apt 4, Austin, TX 78701”。"),
    "confirm_user_address": (
        "Please confirm: change your default address from {old} to {new}. Shall I go ahead? (yes/no)",
        "请确认：将您的默认地址从 {old} 改为 {new}。确认修改吗？（是/否）"),
    "user_address_changed": ("Done: your default address is now {new}.", "已完成：您的默认地址已改为 {new}。"),
    "same_user_address": ("Your default address is already {new}; nothing to change.",
                          "您的默认地址已经是 {new}，无需修改。"),
}

STATUS_ZH = {"pending": "待处理 (pending)", "processed": "已处理 (processed)", "delivered": "已送达 (delivered)",
             "cancelled": "已取消 (cancelled)", "return requested": "已申请退货 (return requested)",
             "exchange requested": "已申请换货 (exchange requested)",
             "pending (item modified)": "待处理，商品已修改 (pending (item modified))"}
WHAT = {
    "order_status": ("your order", "订单查询"), "list_orders": ("your orders", "订单查询"),
    "cancel_order": ("a cancellation", "取消订单"), "return_items": ("a return", "退货"),
    "change_address": ("an address change", "地址修改"), "identity": ("your account", "您的账户"),
    "profile": ("your account details", "账户信息查询"),
    "exchange": ("an exchange or item change", "换货/修改商品"), "change_payment": ("a payment change", "修改支付方式"),
    "change_user_address": ("a change of your default address", "修改默认地址"),
}
SLOT_WHAT = {
    "identity": ("your email, or your name and zip code", "您的邮箱，或者姓名和邮编"),
    "order_id": ("the order number (like #W1234567)", "订单号（例如 #W1234567）"),
    "reason": ("the reason (\"no longer needed\" or \"ordered by mistake\")", "取消原因（不再需要 / 误下单）"),
    "item_ids": ("the items", "商品"),
    "new_options": ("the new options", "新的款式"),
    "payment_method_id": ("where the refund should go", "退款方式"),
    "address": ("the new address", "新地址"),
    "product": ("the product name", "商品名称"),
    "confirm": ("a yes or no", "“是”或“否”"),
}


def say(key: str, language: str, **values) -> str:
    english, chinese = _TEMPLATES[key]
    return (chinese if language == "zh" else english).format(**values)


def status_text(status: str, language: str) -> str:
    return STATUS_ZH.get(status, status) if language == "zh" else status


def what(flow: str | None, language: str) -> str:
    english, chinese = WHAT.get(flow or "identity", WHAT["identity"])
    return chinese if language == "zh" else english


def slot_what(slot: str, language: str) -> str:
    english, chinese = SLOT_WHAT.get(slot, (slot, slot))
    return chinese if language == "zh" else english


def join(parts: list[str], language: str) -> str:
    parts = [p for p in parts if p]
    if language == "zh":
        return "、".join(parts)
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def money(amount: float) -> str:
    return f"{amount:,.2f}"


def item_text(item: dict) -> str:
    options = ", ".join(str(v) for v in item.get("options", {}).values())
    return f"{item['name']} ({options})" if options else item["name"]


def address_text(address: dict) -> str:
    street = ", ".join(p for p in (address.get("address1"), address.get("address2")) if p)
    return f"{street}, {address.get('city', '')}, {address.get('state', '')} {address.get('zip', '')}, " \
           f"{address.get('country', '')}".strip(", ")


def payment_method_text(method_id: str, profile: dict, language: str) -> str:
    method = profile.get("payment_methods", {}).get(method_id, {"source": method_id.rsplit("_", 1)[0]})
    source = method.get("source")
    if source == "credit_card":
        brand = str(method.get("brand", "card")).title()
        if language == "zh":
            return f"尾号 {method.get('last_four', '????')} 的 {brand} 信用卡"
        return f"the {brand} credit card ending {method.get('last_four', '????')}"
    if source == "gift_card":
        return f"礼品卡 {method_id}" if language == "zh" else f"gift card {method_id}"
    if source == "paypal":
        return "PayPal 账户" if language == "zh" else "your PayPal account"
    return method_id
