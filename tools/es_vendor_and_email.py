"""Spanish for what vendor contacts read: their pages, the forms and messages on them, and the
emails the app sends them (a one-off filler for contracts_app/translations/es; the .po is the
source of truth once filled). Run after `make translations`, then compile again."""
import sys

from babel.messages.pofile import read_po, write_po

ES = {
    "Your contracts": "Sus contratos",
    "Contracts you report on": "Contratos sobre los que usted informa",
    "· %(start_date)s to %(end_date)s": "· del %(start_date)s al %(end_date)s",
    "Report": "Informar",
    "on %(reference)s": "sobre %(reference)s",
    "You have no contracts to report on. Access ends when a contract ends or when the city revokes it; ask the contract manager if you think this is wrong.":
        "No tiene contratos sobre los que informar. El acceso termina cuando termina un contrato o cuando la ciudad lo retira; consulte al administrador del contrato si cree que es un error.",
    "%(start_date)s to %(end_date)s · Contract manager: %(value)s":
        "Del %(start_date)s al %(end_date)s · Administrador del contrato: %(value)s",
    "not yet assigned": "aún sin asignar",
    "Submit each metric's value once its period has ended. The contract manager checks every value before it counts; a value that would be off track needs a note explaining it.":
        "Envíe el valor de cada indicador cuando termine su período. El administrador del contrato revisa cada valor antes de que cuente; un valor que quedaría fuera de rumbo necesita una nota que lo explique.",
    "Unit: %(unit)s · %(direction_label)s · %(cadence_label)s, due %(due_days)s after each period ends":
        "Unidad: %(unit)s · %(direction_label)s · %(cadence_label)s, vence %(due_days)s después del fin de cada período",
    ("%(num)s day", "%(num)s days"): ("%(num)s día", "%(num)s días"),
    "· due %(due)s": "· vence el %(due)s",
    "(past due)": "(vencido)",
    "· target": "· meta",
    "Your earlier value %(value)s was returned: %(return_reason)s": "Su valor anterior %(value)s fue devuelto: %(return_reason)s",
    "Not submitted: please correct what is marked below.": "No se envió: corrija lo que se señala abajo.",
    "Submit": "Enviar",
    "Nothing due: every ended period has a value, or one waiting for verification.":
        "Nada pendiente: cada período terminado tiene un valor, o uno en espera de verificación.",
    "Your submissions": "Sus envíos",
    "Submitted": "Enviado",
    "State": "Estado",
    "Reason: %(return_reason)s": "Motivo: %(return_reason)s",
    "Nothing submitted yet.": "Aún no ha enviado nada.",
    "Targets for every period": "Metas de cada período",
    "No metric of this contract is reported by the vendor.": "Ningún indicador de este contrato lo informa el proveedor.",
    "Choose a password": "Elija una contraseña",
    "Welcome, %(name)s. You have been invited to report %(vendor)s's results to %(city_name)s. You will sign in with %(email)s.":
        "Bienvenido/a, %(name)s. Ha sido invitado/a a informar los resultados de %(vendor)s a %(city_name)s. Iniciará sesión con %(email)s.",
    "Set password and continue": "Guardar la contraseña y continuar",
    "Invitation link not valid": "Enlace de invitación no válido",
    "This invitation link does not work": "Este enlace de invitación no funciona",
    "The link has expired. Ask the city's contract manager to send you a new invitation.":
        "El enlace ha caducado. Pida al administrador del contrato de la ciudad que le envíe una nueva invitación.",
    "The link has been used already, or a newer invitation replaced it. If you chose a password,":
        "El enlace ya se usó, o una invitación más reciente lo reemplazó. Si ya eligió una contraseña,",
    "sign in": "inicie sesión",
    "; otherwise ask the city's contract manager for a new invitation.":
        "; si no, pida una nueva invitación al administrador del contrato de la ciudad.",
    "There is no invitation with this link. Check that the whole address from the email was copied, or ask the city's contract manager for a new invitation.":
        "No hay ninguna invitación con este enlace. Compruebe que copió la dirección completa del correo, o pida una nueva invitación al administrador del contrato de la ciudad.",
    "Nothing was changed.": "No se cambió nada.",
    "Skip to content": "Ir al contenido",
    "Menu": "Menú",
    "Main": "Principal",
    "Your account": "Su cuenta",
    "Sign out": "Cerrar sesión",
    "RDC Tracker — results-driven contracting for %(city_name)s": "RDC Tracker — contratación orientada a resultados de %(city_name)s",
    ("Please correct the %(num)s field marked below; nothing was saved.", "Please correct the %(num)s fields marked below; nothing was saved."):
        ("Corrija el campo señalado abajo; no se guardó nada.", "Corrija los %(num)s campos señalados abajo; no se guardó nada."),
    "Save": "Guardar",
    "Cancel": "Cancelar",
    "Any": "Cualquiera",
    "Pages": "Páginas",
    "← Previous": "← Anterior",
    "Next →": "Siguiente →",
    "Page %(page)s of %(pages)s (%(total)s in all)": "Página %(page)s de %(pages)s (%(total)s en total)",
    "%(total)s in all": "%(total)s en total",
    "Bad request": "Solicitud incorrecta",
    "The request could not be understood. Nothing was changed.": "No se pudo entender la solicitud. No se cambió nada.",
    "Not allowed": "No permitido",
    "Your role does not allow this. Ask an administrator if you need access.":
        "Su función no lo permite. Pida acceso a un administrador si lo necesita.",
    "Not found": "No encontrado",
    "There is nothing at this address. It may have been mistyped, or the record does not exist.":
        "No hay nada en esta dirección. Puede que esté mal escrita o que el registro no exista.",
    "This address does not accept that kind of request.": "Esta dirección no acepta ese tipo de solicitud.",
    "Too large": "Demasiado grande",
    "What you sent is larger than the tracker accepts (%(MAX_CONTENT_LENGTH)s at most for a whole form; an evidence file may be at most %(MAX_ATTACHMENT_BYTES)s). Nothing was saved.":
        "Lo que envió supera lo que el sistema acepta (%(MAX_CONTENT_LENGTH)s como máximo por formulario; cada archivo de evidencia, %(MAX_ATTACHMENT_BYTES)s como máximo). No se guardó nada.",
    "Go back and send a smaller file.": "Vuelva atrás y envíe un archivo más pequeño.",
    "Address too long": "Dirección demasiado larga",
    "%(value)s Nothing was saved.": "%(value)s No se guardó nada.",
    "The address of that page is longer than the tracker accepts.": "La dirección de esa página es más larga de lo que el sistema acepta.",
    "Request too large": "Solicitud demasiado grande",
    "Your browser sent more header data than the tracker accepts.": "Su navegador envió más datos de encabezado de los que el sistema acepta.",
    "This usually means too many or too large cookies for this site: clear this site's cookies and sign in again.":
        "Esto suele deberse a demasiadas cookies, o muy grandes, para este sitio: borre las cookies de este sitio e inicie sesión de nuevo.",
    "Something went wrong": "Algo salió mal",
    "An unexpected error occurred and nothing was saved. The error has been logged.":
        "Ocurrió un error inesperado y no se guardó nada. El error quedó registrado.",
    "%(name)s · %(email)s · %(role)s": "%(name)s · %(email)s · %(role)s",
    "The pages are offered in one language only for now; your choice is kept for when the city adds more.":
        "Por ahora las páginas se ofrecen en un solo idioma; su elección se guarda para cuando la ciudad agregue más.",
    "Language": "Idioma",
    "Your pages and the emails you get are written in it.": "Sus páginas y los correos que recibe se escriben en este idioma.",
    "Your language is saved.": "Se guardó su idioma.",
    "Hello %(name)s,": "Hola, %(name)s:",
    "%(count)s new in RDC Tracker:": "%(count)s novedades en RDC Tracker:",
    "All your notifications": "Todas sus notificaciones",
    "All your notifications: %(url)s": "Todas sus notificaciones: %(url)s",
    "Escalations": "Escalamientos",
    "Flags opened": "Alertas abiertas",
    "Readings due today": "Datos que vencen hoy",
    "Readings due soon": "Datos que vencen pronto",
    "Check-ins proposed": "Reuniones de seguimiento propuestas",
    ("RDC Tracker: %(num)s new item for %(name)s", "RDC Tracker: %(num)s new items for %(name)s"):
        ("RDC Tracker: %(num)s novedad para %(name)s", "RDC Tracker: %(num)s novedades para %(name)s"),
    ("(%(num)s escalation)", "(%(num)s escalations)"): ("(%(num)s escalamiento)", "(%(num)s escalamientos)"),
    "%(reference)s %(title)s: submit your figure, with its evidence, today for the contract manager to verify.":
        "%(reference)s %(title)s: envíe su cifra, con su evidencia, hoy mismo para que el administrador del contrato la verifique.",
    "%(reference)s %(title)s: submit your figure, with its evidence, by %(day)s for the contract manager to verify.":
        "%(reference)s %(title)s: envíe su cifra, con su evidencia, a más tardar el %(day)s para que el administrador del contrato la verifique.",
    "%(reference)s: %(metric)s for %(period)s due today (%(day)s)": "%(reference)s: %(metric)s de %(period)s vence hoy (%(day)s)",
    "%(reference)s: %(metric)s for %(period)s due %(day)s": "%(reference)s: %(metric)s de %(period)s vence el %(day)s",
    "Flag opened": "Alerta abierta",
    "Check-in proposed": "Reunión de seguimiento propuesta",
    "Escalation": "Escalamiento",
    "Reading due soon": "Dato que vence pronto",
    "Reading due today": "Dato que vence hoy",
    "Invitation": "Invitación",
    "Submission returned": "Envío devuelto",
    "%(name)s invites you to report on %(reference)s %(title)s": "%(name)s le invita a informar sobre %(reference)s %(title)s",
    "%(name)s has invited you to report %(vendor)s's results on %(reference)s %(title)s in RDC Tracker.":
        "%(name)s le ha invitado a informar los resultados de %(vendor)s sobre %(reference)s %(title)s en RDC Tracker.",
    "Choose a password with the link below. It works once, until %(day)s.":
        "Elija una contraseña con el enlace de abajo. Funciona una sola vez, hasta el %(day)s.",
    "%(metric)s for %(period)s was returned: please submit it again": "%(metric)s de %(period)s fue devuelto: envíelo de nuevo",
    "%(name)s returned your value %(value)s for %(period)s on %(reference)s: %(reason)s":
        "%(name)s devolvió su valor %(value)s de %(period)s en %(reference)s: %(reason)s",
    "Email": "Correo electrónico",
    "Choose a password.": "Elija una contraseña.",
    "At least %(MIN_PASSWORD_LENGTH)s characters, not a common password.":
        "Al menos %(MIN_PASSWORD_LENGTH)s caracteres; no una contraseña común.",
    "Type it again": "Escríbala de nuevo",
    "Type the password again.": "Escriba la contraseña de nuevo.",
    "Value": "Valor",
    "Enter the value for this period.": "Escriba el valor de este período.",
    "Note": "Nota",
    "Needed when the value is below the off-track threshold: say what happened.":
        "Necesaria cuando el valor está por debajo del umbral de fuera de rumbo: explique qué pasó.",
    "Evidence (optional)": "Evidencia (opcional)",
    "For example the report the value comes from. %(ACCEPTED_TEXT)s, at most %(size)s each.":
        "Por ejemplo, el informe del que sale el valor. %(ACCEPTED_TEXT)s, %(size)s como máximo cada uno.",
    "Use at most %(LONG_TEXT)s characters.": "Use como máximo %(LONG_TEXT)s caracteres.",
    "Use at most %(name)s characters.": "Use como máximo %(name)s caracteres.",
    "You no longer have access to this contract.": "Ya no tiene acceso a este contrato.",
    "This metric is not one your organisation reports.": "Este indicador no es uno de los que informa su organización.",
    "Choose a reporting period of this contract that has ended.": "Elija un período de este contrato que ya haya terminado.",
    "%(label)s is already recorded; there is nothing to submit for it.": "%(label)s ya está registrado; no hay nada que enviar.",
    "A value for %(label)s is already waiting for verification.": "Ya hay un valor de %(label)s en espera de verificación.",
    "%(value)s %(unit)s would be off track against the target of %(shown)s: explain it in a note before submitting.":
        "%(value)s %(unit)s quedaría fuera de rumbo frente a la meta de %(shown)s: explíquelo en una nota antes de enviar.",
    "This invitation link is not valid any more.": "Este enlace de invitación ya no es válido.",
    "This account has been deactivated; ask the city to reactivate it.": "Esta cuenta fue desactivada; pida a la ciudad que la reactive.",
    "This submission has already been accepted or returned.": "Este envío ya fue aceptado o devuelto.",
    "Not submitted: %(message)s": "No se envió: %(message)s",
    "%(name)s submitted; it waits for %(name_2)s to verify it.": "%(name)s enviado; queda a la espera de que %(name_2)s lo verifique.",
    "the contract manager": "el administrador del contrato",
    "Welcome, %(name)s. Your password is set; sign in with %(email)s from now on.":
        "Bienvenido/a, %(name)s. Su contraseña quedó guardada; de ahora en adelante inicie sesión con %(email)s.",
    "Waiting for verification": "En espera de verificación",
    "Accepted": "Aceptado",
    "Returned": "Devuelto",
    "Month from %(day)s": "Mes desde el %(day)s",
    "Quarter from %(day)s": "Trimestre desde el %(day)s",
    "Year from %(day)s": "Año desde el %(day)s",
    "Week of %(day)s": "Semana del %(day)s",
    "Period from %(day)s": "Período desde el %(day)s",
    "Increase": "Aumentar",
    "Decrease": "Disminuir",
    "Maintain": "Mantener",
    "Stay within a range": "Mantenerse en un rango",
    "Weekly": "Semanal",
    "Monthly": "Mensual",
    "Quarterly": "Trimestral",
    "Annually": "Anual",
    "Password": "Contraseña",
    "Keep me signed in": "Mantener la sesión iniciada",
    "Vendor contact": "Contacto del proveedor",
    "Contract manager": "Administrador del contrato",
    "Choose one of the languages offered.": "Elija uno de los idiomas que se ofrecen.",
    "That number is too large (at most %(max)s).": "Ese número es demasiado grande (como máximo %(max)s).",
    "Use at most %(places)s decimal places.": "Use como máximo %(places)s decimales.",
    "Signed in as %(name)s.": "Sesión iniciada como %(name)s.",
    "Back to the register": "Volver al registro",
    "%(period)s — already recorded": "%(period)s — ya registrado",
    "%(period)s — overdue since %(day)s": "%(period)s — vencido desde el %(day)s",
    "%(period)s — due %(day)s": "%(period)s — vence el %(day)s",
    "%(period)s — in progress": "%(period)s — en curso",
    "%(period)s — starts %(day)s": "%(period)s — empieza el %(day)s",
    "%(name)s (inactive)": "%(name)s (inactivo)",
    "You are signed out.": "Cerró la sesión.",
}


def main(path):
    with open(path, "rb") as file:
        catalog = read_po(file, locale="es")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
        if key in ES and not (message.string if isinstance(message.string, str) else all(message.string)):
            value = ES[key]
            if isinstance(value, tuple):  # Spanish has three plural forms (one, many: "millón", other)
                value = (value[0], value[1], value[1])[: catalog.num_plurals]
            message.string = value
            filled += 1
    with open(path, "wb") as file:
        write_po(file, catalog, width=100, sort_output=True, omit_header=False)
    missing = [k for k in ES if k not in {tuple(m.id) if isinstance(m.id, (list, tuple)) else m.id for m in catalog}]
    print(f"filled {filled}; not in the catalogue: {missing}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "contracts_app/translations/es/LC_MESSAGES/messages.po")
