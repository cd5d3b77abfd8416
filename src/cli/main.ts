console.log('magnetar');
