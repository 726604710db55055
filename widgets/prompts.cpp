#include "widgets/prompts.h"

#include "connectors/kubernetes/kubeconfig.h"

#include <QMessageBox>

namespace lg {

bool confirmCredentialPlugin(QWidget* parent, const KubeContext& context, const QString& forWhat)
{
    if (!context.user.exec)
        return true;
    return QMessageBox::question(parent, QObject::tr("Run the credential plugin?"),
               QObject::tr("Context %1 gets its credentials by running:\n\n%2\n\nRun it for %3?")
                   .arg(QString::fromStdString(context.name), QString::fromStdString(context.user.exec->display()),
                       forWhat))
        == QMessageBox::Yes;
}

bool confirmCommand(QWidget* parent, const QString& command, const QString& forWhat)
{
    if (command.isEmpty())
        return true;
    return QMessageBox::question(
               parent, QObject::tr("Run the command?"), QObject::tr("%1\n\nRun it for %2?").arg(command, forWhat))
        == QMessageBox::Yes;
}

} // namespace lg
